import { createHash } from "node:crypto";

/**
 * A stable id for a record: a hash of its task and content (keys sorted; `id` and `is_seed`
 * excluded). Equal records get equal ids, so resume, dedup and distributed merges are idempotent.
 *
 * @example
 * recordId("qa", { question: "Why?", answer: "Because." }) // "3f2a…" (16 hex chars)
 */
export function recordId(taskName: string, record: Record<string, unknown>): string {
  const h = createHash("sha256");
  h.update(taskName);
  h.update("\u0000");
  h.update(canonicalJson(record, true));
  return h.digest("hex").slice(0, 16);
}

function canonicalJson(value: unknown, top = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value)
      .filter((k) => !(top && (k === "id" || k === "is_seed" || k === "task_name")))
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
