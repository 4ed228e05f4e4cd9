import { BudgetError, BudgetExhausted } from "../../errors.js";
import { estimateCost, findPrice, type PriceTable } from "../../telemetry/prices.js";
import {
  LocalSpendLedger,
  type SpendCaps,
  type SpendLedger,
  type SpendRefusal,
  type SpendTotals,
} from "./spend-ledger.js";

/**
 * Output tokens assumed for a request that sets no output limit (`max_tokens` and its aliases),
 * when its worst-case cost is reserved under a budget.
 */
export const DEFAULT_WORST_CASE_OUTPUT_TOKENS = 4096;

/** A request's share of the budget, held while it is in flight. */
export interface SpendTicket {
  /** The request finished: count what it cost (from its token usage) and free the reservation. */
  settle(usage: { prompt_tokens: number; completion_tokens: number } | undefined): void;
}

/** A request about to be sent, as the guard prices it. */
export interface PlannedRequest {
  provider: string;
  model: string;
  /** Tasks whose rows the request serves (each task's own cap applies). */
  tasks: readonly string[];
  /** Input tokens (an estimate) and the most output tokens the request may produce. */
  promptTokens: number;
  maxCompletionTokens: number;
  /** Sent by a batch API: priced at the model's batch rates. */
  execution?: "online" | "batch" | undefined;
}

/** The caps of a run, and what to call the run's cap in messages. */
export interface GuardCaps extends SpendCaps {
  /** Where the run's cap comes from (`--max-cost`, `budget: in run.yaml`); default `--max-cost`. */
  runSource?: string | undefined;
}

/**
 * The spending caps of a run (`--max-cost`, the run config's `budget:`) and of its tasks
 * (`budget:`): before each request, the spend committed so far (earlier attempts of resumed
 * tasks included) plus the worst case of every request in flight, this one included, must stay
 * within every cap that applies; otherwise the request is not sent (BudgetExhausted). Spend is
 * counted also without a cap (for models with a price), so a resumed run knows what was paid.
 * The totals live in a `SpendLedger`: this process's memory, or a store a cluster shares.
 *
 * @example
 * const guard = new SpendGuard(prices, { run: 2.5, tasks: { "my/task": 1 } });
 * const ticket = await guard.reserve({ provider: "openai", model: "gpt-4o-mini", tasks: ["my/task"], promptTokens: 900, maxCompletionTokens: 256 });
 * ticket.settle({ prompt_tokens: 870, completion_tokens: 120 });
 */
export class SpendGuard {
  /** Set once a request was refused: the run stops committing and drawing. */
  exhausted: BudgetExhausted | undefined;
  /** USD spent by earlier attempts of this run's tasks (counted in from the start). */
  private earlier = 0;
  /** Settlements not yet applied to a ledger that answers later (awaited by `totals`). */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly prices: PriceTable,
    readonly caps: GuardCaps,
    private readonly ledger: SpendLedger = new LocalSpendLedger(caps),
  ) {}

  /** Whether any cap is set (without one, nothing is refused and no price is required). */
  get active(): boolean {
    return this.caps.run !== undefined || Object.keys(this.caps.tasks ?? {}).length > 0;
  }

  /**
   * Throw a BudgetError naming the model when it has no price (its spend could not be counted).
   *
   * @example
   * guard.requirePrice("openai", "my-finetune") // throws: add it to ./digit-prices.json
   */
  requirePrice(provider: string, model: string, where = ""): void {
    if (!this.active || findPrice(this.prices, provider, model)) return;
    throw new BudgetError(
      `a spending cap is set, but model '${model}' of provider '${provider}'${where} has no price, so its spend cannot be counted`,
      {
        hint: `add it to ./digit-prices.json: { "providers": { "${provider}": { "${model}": { "input": <USD per 1M tokens>, "output": <USD per 1M tokens> } } } } (or $DGT_PRICES_FILE), or run without --max-cost / budget`,
      },
    );
  }

  /**
   * Count what earlier attempts of a resumed task spent, before anything is sent.
   *
   * @example
   * await guard.addEarlier("my/task", task.spentBefore);
   */
  async addEarlier(task: string, usd: number): Promise<void> {
    if (!(usd > 0)) return;
    this.earlier += usd;
    await this.ledger.addEarlier(task, usd);
  }

  /**
   * Spend so far (settled requests, earlier attempts included), in all and per task. Waits up to
   * a second for settlements still on their way to a shared ledger (one that does not answer,
   * like a Redis outage, must not hold up a checkpoint).
   */
  async totals(): Promise<SpendTotals> {
    if (this.pending.size) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(this.pending),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 1000);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    return this.ledger.totals();
  }

  /** Reserve a request's worst-case cost, or throw BudgetExhausted when a cap cannot cover it. */
  async reserve(request: PlannedRequest): Promise<SpendTicket> {
    if (this.exhausted) throw this.exhausted;
    this.requirePrice(request.provider, request.model);
    const worst = this.cost(request, request.promptTokens, request.maxCompletionTokens);
    const refusal = await this.ledger.reserve(worst, request.tasks);
    if (refusal) this.refuse(refusal, worst);
    let settled = false;
    return {
      settle: (usage) => {
        if (settled) return;
        settled = true;
        // No usage reported for an answer: count the worst case (never less than was spent).
        const actual = usage
          ? this.cost(request, usage.prompt_tokens, usage.completion_tokens)
          : worst;
        const done = this.ledger.settle(worst, actual, request.tasks);
        if (done instanceof Promise) {
          const p: Promise<void> = done
            .catch(() => undefined)
            .finally(() => this.pending.delete(p));
          this.pending.add(p);
        }
      },
    };
  }

  private refuse(r: SpendRefusal, worst: number): never {
    const spent =
      this.earlier > 0
        ? `${usd(r.spent)} spent (${usd(this.earlier)} of it by earlier attempts)`
        : `${usd(r.spent)} spent`;
    const state = `${spent}, ${usd(r.reserved)} reserved by requests in flight, and the next request may cost up to ${usd(worst)}`;
    const message =
      "run" in r.scope
        ? `the run's spending cap of ${usd(r.cap)} (${this.caps.runSource ?? "--max-cost"}) is reached: ${state}`
        : `task '${r.scope.task}' reached its budget of ${usd(r.cap)}: ${state}`;
    this.exhausted ??= new BudgetExhausted(message);
    throw this.exhausted;
  }

  private cost(request: PlannedRequest, prompt: number, completion: number): number {
    const { provider, model, execution } = request;
    return estimateCost(this.prices, provider, model, prompt, completion, execution) ?? 0;
  }
}

function usd(x: number): string {
  return `$${x < 0.01 && x > 0 ? x.toFixed(6) : x.toFixed(4)}`;
}
