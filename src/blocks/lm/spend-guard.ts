import { BudgetError, BudgetExhausted } from "../../errors.js";
import { findPrice, type PriceTable } from "../../telemetry/prices.js";

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
}

/**
 * The spending caps of a run (`--max-cost`) and of its tasks (`budget:`): before each request, the
 * spend committed so far plus the worst case of every request in flight, this one included, must
 * stay within every cap that applies; otherwise the request is not sent (BudgetExhausted).
 *
 * @example
 * const guard = new SpendGuard(prices, { run: 2.5, tasks: { "my/task": 1 } });
 * const ticket = guard.reserve({ provider: "openai", model: "gpt-4o-mini", tasks: ["my/task"], promptTokens: 900, maxCompletionTokens: 256 });
 * ticket.settle({ prompt_tokens: 870, completion_tokens: 120 });
 */
export class SpendGuard {
  /** USD spent by finished requests, in all and per task. */
  spent = 0;
  private readonly spentByTask = new Map<string, number>();
  /** USD reserved by requests in flight, in all and per task. */
  private reserved = 0;
  private readonly reservedByTask = new Map<string, number>();
  /** Set once a request was refused: the run stops committing and drawing. */
  exhausted: BudgetExhausted | undefined;

  constructor(
    private readonly prices: PriceTable,
    readonly caps: {
      run?: number | undefined;
      tasks?: Readonly<Record<string, number>> | undefined;
    },
  ) {}

  /** Whether any cap is set (without one, nothing is checked). */
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

  /** Reserve a request's worst-case cost, or throw BudgetExhausted when a cap cannot cover it. */
  reserve(request: PlannedRequest): SpendTicket {
    if (!this.active) return { settle: () => {} };
    if (this.exhausted) throw this.exhausted;
    this.requirePrice(request.provider, request.model);
    const worst = this.cost(
      request.provider,
      request.model,
      request.promptTokens,
      request.maxCompletionTokens,
    );
    const runCap = this.caps.run;
    if (runCap !== undefined && this.spent + this.reserved + worst > runCap) {
      return this.refuse(
        `the run's spending cap of ${usd(runCap)} (--max-cost) is reached: ${usd(this.spent)} spent, ${usd(this.reserved)} reserved by requests in flight, and the next request may cost up to ${usd(worst)}`,
      );
    }
    for (const t of request.tasks) {
      const cap = this.caps.tasks?.[t];
      if (cap === undefined) continue;
      const spent = this.spentByTask.get(t) ?? 0;
      const held = this.reservedByTask.get(t) ?? 0;
      if (spent + held + worst > cap)
        return this.refuse(
          `task '${t}' reached its budget of ${usd(cap)}: ${usd(spent)} spent, ${usd(held)} reserved by requests in flight, and the next request may cost up to ${usd(worst)}`,
        );
    }
    const share = worst / Math.max(1, request.tasks.length);
    this.reserved += worst;
    for (const t of request.tasks)
      this.reservedByTask.set(t, (this.reservedByTask.get(t) ?? 0) + share);
    let settled = false;
    return {
      settle: (usage) => {
        if (settled) return;
        settled = true;
        this.reserved -= worst;
        // No usage reported for an answer: count the worst case (never less than was spent).
        const actual = usage
          ? this.cost(request.provider, request.model, usage.prompt_tokens, usage.completion_tokens)
          : worst;
        this.spent += actual;
        for (const t of request.tasks) {
          this.reservedByTask.set(t, (this.reservedByTask.get(t) ?? 0) - share);
          this.spentByTask.set(
            t,
            (this.spentByTask.get(t) ?? 0) + actual / Math.max(1, request.tasks.length),
          );
        }
      },
    };
  }

  private refuse(message: string): never {
    this.exhausted ??= new BudgetExhausted(message);
    throw this.exhausted;
  }

  private cost(provider: string, model: string, prompt: number, completion: number): number {
    const price = findPrice(this.prices, provider, model);
    return price ? (prompt * price.input + completion * price.output) / 1_000_000 : 0;
  }
}

function usd(x: number): string {
  return `$${x < 0.01 && x > 0 ? x.toFixed(6) : x.toFixed(4)}`;
}
