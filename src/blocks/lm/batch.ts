/**
 * Helpers for batched completion requests: which rows may share a request, how a batched
 * response's choices and token usage go back to its rows.
 */
import { malformedResponse } from "./retry.js";

/**
 * Cut `items` into chunks of at most `size` whose `key` is equal; an item whose key is undefined
 * gets a chunk of its own. Chunks come in the order of their first item, items in input order.
 *
 * @example
 * chunkByKey(["a1", "b1", "a2", "a3"], (s) => s[0], 2) // [["a1", "a2"], ["b1"], ["a3"]]
 */
export function chunkByKey<T>(
  items: readonly T[],
  key: (item: T) => string | undefined,
  size: number,
): T[][] {
  const limit = Math.max(1, Math.floor(size));
  const chunks: { first: number; items: T[] }[] = [];
  const open = new Map<string, { first: number; items: T[] }>();
  items.forEach((item, i) => {
    const k = key(item);
    let chunk = k === undefined ? undefined : open.get(k);
    if (!chunk || chunk.items.length >= limit) {
      chunk = { first: i, items: [] };
      chunks.push(chunk);
      if (k !== undefined) open.set(k, chunk);
    }
    chunk.items.push(item);
  });
  return chunks.sort((a, b) => a.first - b.first).map((c) => c.items);
}

/**
 * A text that is equal for equal parameter objects, whatever the order of their keys (objects
 * inside are compared the same way), so rows whose effective parameters match share a request.
 *
 * @example
 * paramsKey({ temperature: 0, stop: ["x"] }) === paramsKey({ stop: ["x"], temperature: 0 }) // true
 */
export function paramsKey(params: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(params, (_key, value: unknown) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) return value;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) sorted[k] = (value as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * Split a token count over `parts` rows so the parts add up to the count: each row gets the
 * integer quotient and the first `total mod parts` rows one more (DiGiT divided and lost the
 * remainder). An unknown total stays unknown for every row; a value that is not a count (negative,
 * fractional, not a number) is handed to every row as is, for the provider's usage check to refuse
 * (see usageProblem) rather than be turned into a plausible count here.
 *
 * @example
 * splitEvenly(11, 3) // [4, 4, 3]
 */
export function splitEvenly(total: number | undefined, parts: number): (number | undefined)[] {
  if (total === undefined || total === null) return Array.from({ length: parts }, () => undefined);
  if (!Number.isSafeInteger(total) || total < 0) return Array.from({ length: parts }, () => total);
  const base = Math.floor(total / parts);
  const extra = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * The choices of a completion response for `prompts` prompts with `n` outputs each, per prompt:
 * prompt i owns indexes i·n … i·n + n − 1 (OpenAI's and vLLM's order). Throws an error that
 * classifies as `parse` when the count, or with several prompts the indexes, do not fit.
 *
 * @example
 * choicesByPrompt([{ index: 1, text: "b" }, { index: 0, text: "a" }], 2, 1) // [[{index 0}], [{index 1}]]
 */
export function choicesByPrompt<C extends { index: number }>(
  choices: readonly C[],
  prompts: number,
  n: number,
): C[][] {
  const expected = prompts * n;
  const what = prompts === 1 ? `n=${n}` : `${prompts} prompts × n=${n}`;
  if (choices.length !== expected)
    throw malformedResponse(
      `the endpoint returned ${choices.length} choices for ${what} (expected ${expected})`,
    );
  // One prompt owns every choice; some OpenAI-compatible servers number them loosely.
  if (prompts === 1) return [[...choices].sort((x, y) => x.index - y.index)];
  const slots: (C | undefined)[] = new Array<C | undefined>(expected);
  for (const c of choices) {
    if (!Number.isInteger(c.index) || c.index < 0 || c.index >= expected || slots[c.index]) {
      throw malformedResponse(
        `the endpoint returned choice index ${String(c.index)} for ${what} (expected each of 0..${expected - 1} once)`,
      );
    }
    slots[c.index] = c;
  }
  return Array.from({ length: prompts }, (_, i) => slots.slice(i * n, i * n + n) as C[]);
}
