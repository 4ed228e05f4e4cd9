import type { Row } from "../../util/mapping.js";

/**
 * A provider's parameters for one method: the canonical names it sends, and for some of them the
 * aliases it accepts instead (e.g. OpenAI chat: `max_completion_tokens` ← `max_tokens`,
 * `max_new_tokens`).
 *
 * @example
 * const chat: ParamSpec = { known: ["max_completion_tokens", "temperature"], aliases: { max_completion_tokens: ["max_tokens", "max_new_tokens"] } };
 */
export interface ParamSpec {
  readonly known: readonly string[];
  readonly aliases?: Readonly<Record<string, readonly string[]>>;
  /** Keys this method accepts but does not send (e.g. `max_length`, used for truncation). */
  readonly accepted?: readonly string[];
}

/**
 * Rename aliases to canonical names (an alias is used only when the canonical key is absent; the
 * first alias that is set wins) and keep only the keys the provider knows. Returns the parameters
 * and the keys it dropped.
 *
 * Applied separately to the block config and to each row's `gen_kwargs` before overlaying them,
 * so `gen_kwargs: {max_new_tokens: 50}` overrides a block's `max_tokens: 100`.
 *
 * @example
 * resolveParams({ max_new_tokens: 5, num_ctx: 8 }, chat) // { params: { max_completion_tokens: 5 }, ignored: ["num_ctx"] }
 */
export function resolveParams(raw: Row, spec: ParamSpec): { params: Row; ignored: string[] } {
  const src: Row = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined && v !== null) src[k] = v;
  const params: Row = {};
  const used = new Set<string>();
  for (const [canonical, aliases] of Object.entries(spec.aliases ?? {})) {
    const from = [canonical, ...aliases].find((k) => k in src);
    if (from !== undefined) params[canonical] = src[from];
    used.add(canonical);
    for (const a of aliases) used.add(a);
  }
  for (const k of spec.known) if (!used.has(k) && k in src) params[k] = src[k];
  const accepted = new Set([...spec.known, ...used, ...(spec.accepted ?? [])]);
  const ignored = Object.keys(src).filter((k) => !accepted.has(k));
  return { params, ignored };
}

/** The stop sequences in effect, as a list (DiGiT iterated a plain string by character; we do not). */
export function stopList(value: unknown): string[] {
  if (typeof value === "string") return value ? [value] : [];
  return Array.isArray(value)
    ? value.filter((s): s is string => typeof s === "string" && s.length > 0)
    : [];
}

/** Cut `text` at the first occurrence of each stop sequence in turn. */
export function cutAtStops(text: string, stops: readonly string[]): string {
  let out = text;
  for (const s of stops) {
    const i = out.indexOf(s);
    if (i >= 0) out = out.slice(0, i);
  }
  return out;
}
