import type { Row } from "../util/mapping.js";

/**
 * How many accepted records a generation task keeps in memory as material for machine examples
 * (in-context learning): the first ones, in accepted order. Everything else stays on disk.
 */
export const EXAMPLE_POOL_LIMIT = 10_000;

/**
 * What a task keeps in memory of its accepted records: how many there are, and the first
 * `EXAMPLE_POOL_LIMIT` of them (the pool machine examples are drawn from). The records
 * themselves are on disk, in the latest `postproc_data_N` followed by the `data` records appended
 * since; `Task.readAccepted` streams them. Memory stays flat however many records a task makes.
 *
 * @example
 * const accepted = new AcceptedRecords();
 * accepted.add([{ text: "a" }, { text: "b" }]);
 * accepted.length;       // 2
 * accepted.examples(1);  // [{ text: "a" }]
 */
export class AcceptedRecords {
  private count = 0;
  private readonly pool: Row[] = [];

  constructor(private readonly poolLimit = EXAMPLE_POOL_LIMIT) {}

  /** How many records are accepted. */
  get length(): number {
    return this.count;
  }

  /** Count records that were accepted (in order), keeping the first ones as example material. */
  add(rows: Iterable<Row>): void {
    for (const r of rows) {
      if (this.pool.length < this.poolLimit) this.pool.push(r);
      this.count++;
    }
  }

  /** The example material among the first `prefix` accepted records (at most the pool's size). */
  examples(prefix = this.count): Row[] {
    return this.pool.slice(0, Math.min(prefix, this.pool.length));
  }
}
