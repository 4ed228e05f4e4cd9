import type { Row } from "./mapping.js";
import { Random } from "./random.js";

/**
 * The input-row field that names a row's random draws: a string made of the task (and its seed),
 * the task's batch index and the row's place in that batch. Builders draw through
 * `rowRandom(row)` (or `DataBuilder.rngFor`), so what a row gets does not depend on which other
 * rows share its builder call or in which order calls run. The field never reaches a record.
 *
 * @example
 * const key = rows[0]?.[DRAW_KEY];
 * await this.complete(prompts.map((input) => ({ input, [DRAW_KEY]: key })));
 */
export const DRAW_KEY = "draw_key";

/** The draw key of row `index` of the batch keyed `batchKey`. */
export function drawKey(batchKey: string, index: number): string {
  return `${batchKey}:${index}`;
}

/** The draw key a row carries, if any. */
export function rowDrawKey(row: Row): string | undefined {
  const key = row[DRAW_KEY];
  return typeof key === "string" ? key : undefined;
}

/**
 * A random stream for one row: seeded by its draw key and `label` (so two uses on one row, e.g.
 * examples and a persona, are independent). A row without a key (made by the builder itself)
 * gets `fallback`, the caller's shared stream.
 *
 * @example
 * const examples = rowRandom(row, "examples", this.rng).choices(rows, 3);
 */
export function rowRandom(row: Row, label: string, fallback: Random): Random {
  const key = rowDrawKey(row);
  return key === undefined ? fallback : new Random(`${key}|${label}`);
}
