/**
 * Where a run's spend is kept: committed spend and the worst case of requests in flight, in all
 * and per task, checked against the caps in one step. `LocalSpendLedger` keeps it in this process;
 * a distributed run keeps it in Redis so that every worker draws on one budget.
 */

/** The caps a ledger checks (USD); an absent cap is no limit. */
export interface SpendCaps {
  run?: number | undefined;
  tasks?: Readonly<Record<string, number>> | undefined;
}

/** Why a reservation was refused: the cap that could not cover it, and where it stood. */
export interface SpendRefusal {
  /** `run`, or the task whose cap refused. */
  scope: { run: true } | { task: string };
  cap: number;
  spent: number;
  reserved: number;
}

/** The spend totals of a ledger (USD). */
export interface SpendTotals {
  spent: number;
  reserved: number;
  byTask: Readonly<Record<string, number>>;
}

/**
 * Committed and reserved spend, with the check-and-reserve step that keeps them under the caps.
 * Every method may answer at once or later (a shared ledger asks a server).
 *
 * @example
 * const refusal = await ledger.reserve(0.02, ["my/task"]);
 * if (!refusal) await ledger.settle(0.02, 0.005, ["my/task"]);
 */
export interface SpendLedger {
  /**
   * Reserve `worst` (split evenly over `tasks`) if committed plus reserved plus `worst` stays
   * within the run cap and each task's cap; otherwise reserve nothing and say which cap refused.
   */
  reserve(
    worst: number,
    tasks: readonly string[],
  ): SpendRefusal | undefined | Promise<SpendRefusal | undefined>;
  /** Free a reservation of `worst` and count `actual` as spent (split evenly over `tasks`). */
  settle(worst: number, actual: number, tasks: readonly string[]): void | Promise<void>;
  /** Count spend made before this run (an earlier attempt of a resumed task). */
  addEarlier(task: string, usd: number): void | Promise<void>;
  totals(): SpendTotals | Promise<SpendTotals>;
}

/**
 * A ledger in this process's memory (a local run: every request goes through this process).
 *
 * @example
 * const ledger = new LocalSpendLedger({ run: 1 });
 * ledger.reserve(2, []) // { scope: { run: true }, cap: 1, spent: 0, reserved: 0 }
 */
export class LocalSpendLedger implements SpendLedger {
  private spent = 0;
  private reserved = 0;
  private readonly spentByTask = new Map<string, number>();
  private readonly reservedByTask = new Map<string, number>();

  constructor(private readonly caps: SpendCaps) {}

  reserve(worst: number, tasks: readonly string[]): SpendRefusal | undefined {
    const run = this.caps.run;
    if (run !== undefined && this.spent + this.reserved + worst > run)
      return { scope: { run: true }, cap: run, spent: this.spent, reserved: this.reserved };
    for (const task of tasks) {
      const cap = this.caps.tasks?.[task];
      if (cap === undefined) continue;
      const spent = this.spentByTask.get(task) ?? 0;
      const reserved = this.reservedByTask.get(task) ?? 0;
      if (spent + reserved + worst > cap) return { scope: { task }, cap, spent, reserved };
    }
    const share = worst / Math.max(1, tasks.length);
    this.reserved += worst;
    for (const t of tasks) add(this.reservedByTask, t, share);
    return undefined;
  }

  settle(worst: number, actual: number, tasks: readonly string[]): void {
    this.reserved -= worst;
    this.spent += actual;
    const n = Math.max(1, tasks.length);
    for (const t of tasks) {
      add(this.reservedByTask, t, -worst / n);
      add(this.spentByTask, t, actual / n);
    }
  }

  addEarlier(task: string, usd: number): void {
    this.spent += usd;
    add(this.spentByTask, task, usd);
  }

  totals(): SpendTotals {
    return {
      spent: this.spent,
      reserved: this.reserved,
      byTask: Object.fromEntries(this.spentByTask),
    };
  }
}

function add(map: Map<string, number>, key: string, usd: number): void {
  map.set(key, (map.get(key) ?? 0) + usd);
}
