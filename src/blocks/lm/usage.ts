import type { LMResponse } from "./provider.js";

/**
 * The most prompt or completion tokens one request may report (10 million). No model reads or
 * writes that many in one request; a larger count is an endpoint's mistake (or a hostile answer)
 * that would otherwise swamp every token total and cost estimate of the run.
 */
export const MAX_TOKENS_PER_REQUEST = 10_000_000;

const FIELDS = ["prompt_tokens", "completion_tokens"] as const;

/**
 * Why the token usage of one request's answers cannot be believed, or undefined when it can. A
 * count is either absent (the endpoint reported none: `undefined` or `null`) or a whole number
 * from 0 to MAX_TOKENS_PER_REQUEST; the counts of a request's answers (a batched request has one
 * per prompt) must also add up to at most that.
 *
 * @example
 * usageProblem([{ outputs: ["x"], prompt_tokens: -3e12 }]) // "prompt_tokens -3000000000000 ..."
 * usageProblem([{ outputs: ["x"], prompt_tokens: 12, completion_tokens: 5 }]) // undefined
 */
export function usageProblem(responses: readonly LMResponse[]): string | undefined {
  for (const field of FIELDS) {
    let total = 0;
    for (const r of responses) {
      const value: unknown = r[field];
      if (value === undefined || value === null) continue;
      if (
        typeof value !== "number" ||
        !Number.isSafeInteger(value) ||
        value < 0 ||
        value > MAX_TOKENS_PER_REQUEST
      ) {
        return `${field} ${describe(value)} is not a token count from 0 to ${MAX_TOKENS_PER_REQUEST}`;
      }
      total += value;
    }
    if (total > MAX_TOKENS_PER_REQUEST)
      return `${field} add up to ${total} over the request's ${responses.length} prompts, more than ${MAX_TOKENS_PER_REQUEST}`;
  }
  return undefined;
}

/** Forget the token usage of a request's answers (its counts become unknown). */
export function dropUsage(responses: LMResponse[]): void {
  for (const r of responses) {
    r.prompt_tokens = undefined;
    r.completion_tokens = undefined;
  }
}

/** A reported value, short and printable (JSON escapes control characters). */
function describe(value: unknown): string {
  const text = typeof value === "number" ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
