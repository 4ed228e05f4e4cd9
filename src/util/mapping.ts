/** A YAML/JSON mapping: a plain object keyed by strings. */
export type Obj = Record<string, unknown>;

/**
 * A record: one plain JSON object flowing between dataloaders, blocks, tasks and datastores.
 *
 * @example
 * const row: Row = { question: "What is 2 + 2?", answer: "4" };
 */
export type Row = Record<string, unknown>;

/**
 * Whether a parsed YAML/JSON value is a mapping (an object that is not a list or null).
 *
 * @example
 * isObj({ a: 1 }) // true
 * isObj([1]) // false
 */
export const isObj = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);
