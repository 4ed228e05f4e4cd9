import { Random } from "digit-sdg";

/**
 * The most combinations `maximize_coverage` enumerates (one cycle's order is kept in memory).
 *
 * @example
 * if (size > MAX_COMBINATIONS) throw new Error("too many");
 */
export const MAX_COMBINATIONS = 1_000_000;

/**
 * `diversity_strategy: maximize_coverage`: the combinations of the diversity columns' values are
 * dealt out in cycles; each cycle of K records (K = the product of the value counts) holds every
 * combination exactly once, in an order shuffled by the seed and the cycle number. The
 * combination of record i depends only on i, so resumed and parallel runs agree.
 *
 * @example
 * const c = new Coverage("seed", [3, 2]);
 * c.combination(0) // e.g. [2, 0]: value index per diversity column
 */
export class Coverage {
  /** The number of combinations in one cycle. */
  readonly size: number;
  private readonly orders = new Map<number, Uint32Array>();

  constructor(
    private readonly seedKey: string,
    private readonly radices: readonly number[],
  ) {
    this.size = radices.reduce((p, r) => p * r, 1);
  }

  /** The value index of each diversity column for record `index`. */
  combination(index: number): number[] {
    const cycle = Math.floor(index / this.size);
    let n = this.order(cycle)[index % this.size]!;
    const out: number[] = [];
    for (const r of this.radices) {
      out.push(n % r);
      n = Math.floor(n / r);
    }
    return out;
  }

  private order(cycle: number): Uint32Array {
    const hit = this.orders.get(cycle);
    if (hit) return hit;
    const order = new Uint32Array(this.size);
    for (let i = 0; i < this.size; i++) order[i] = i;
    const rng = new Random(`${this.seedKey}|coverage|${cycle}`);
    for (let i = this.size - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    // Records are mostly asked for in order: keep the current and the previous cycle only.
    if (this.orders.size >= 2) this.orders.delete(this.orders.keys().next().value!);
    this.orders.set(cycle, order);
    return order;
  }
}
