import { existsSync, readFileSync } from "node:fs";
import { DataFileError, MissingFileError, type Row } from "digit-sdg";
import { parse } from "yaml";

/**
 * One risk of a policy file, with its group's fields.
 *
 * @example
 * const p: RiskPolicy = loadRiskPolicy("policies.yaml");
 */
export interface RiskPolicy {
  risk: string;
  risk_id: string;
  risk_description: string;
  risk_group: string;
  risk_group_id: string;
  reason_denial: string;
  short_reply_type: string;
  exception: string;
  policy_version: string;
  reply_cannot_contain: string[];
  reply_may_contain: string[];
}

/**
 * The policy metadata attached to each record (DiGiT's keys).
 *
 * @example
 * const m: PolicyMetadata = policyMetadata(policy);
 */
export type PolicyMetadata = Omit<RiskPolicy, "reply_cannot_contain" | "reply_may_contain"> & {
  mode: string;
};

/**
 * Read a risk policy file (`risk_group`, `risk_group_id`, `description`, `policy_version`, `risks:
 * [{risk, risk_id, description, reason_denial, short_reply_type, exception, policy:
 * {reply_cannot_contain, reply_may_contain}}]`) and pick `risk` (default: the first risk). An
 * unknown risk gives empty fields, as in DiGiT.
 *
 * @example
 * const p = loadRiskPolicy("data/public/safety/resources/policies/cybersecurity_risks.yaml");
 */
export function loadRiskPolicy(path: string, risk?: string | null): RiskPolicy {
  if (!existsSync(path))
    throw new MissingFileError(path, "risk policy file", {
      hint: "set risk_policy.path to an existing policy YAML",
    });
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new DataFileError(`risk policy ${path} is not valid YAML: ${(e as Error).message}`, {
      file: path,
    });
  }
  return policyFrom((doc ?? {}) as Row, risk);
}

/**
 * The policy of one risk from a parsed policy document.
 *
 * @example
 * policyFrom({ risks: [{ risk: "spam" }] }).risk // "spam"
 */
export function policyFrom(doc: Row, risk?: string | null): RiskPolicy {
  const risks = Array.isArray(doc.risks) ? (doc.risks as Row[]) : [];
  const chosen = risk == null ? risks[0] : risks.find((r) => r.risk === risk || r.risk_id === risk);
  const r = chosen ?? {};
  const p = (r.policy ?? {}) as Row;
  const s = (v: unknown) => (v == null ? "" : String(v));
  const list = (v: unknown) =>
    Array.isArray(v) ? v.filter((x) => x != null && String(x).trim()).map(String) : [];
  return {
    risk: s(r.risk ?? (chosen ? "" : risk)),
    risk_id: s(r.risk_id),
    risk_description: s(r.description),
    risk_group: s(doc.risk_group),
    risk_group_id: s(doc.risk_group_id),
    reason_denial: s(r.reason_denial),
    short_reply_type: s(r.short_reply_type),
    exception: s(r.exception),
    policy_version: s(doc.policy_version ?? "v0.1"),
    reply_cannot_contain: list(p.reply_cannot_contain),
    reply_may_contain: list(p.reply_may_contain),
  };
}

/**
 * The metadata a generated pair carries.
 *
 * @example
 * policyMetadata(policy).mode // "refusal"
 */
export function policyMetadata(p: RiskPolicy): PolicyMetadata {
  const { reply_cannot_contain: _c, reply_may_contain: _m, ...rest } = p;
  return { ...rest, mode: "refusal" };
}
