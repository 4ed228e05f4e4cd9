import { estimateCost, type PriceTable } from "./prices.js";

/** Tokens of one model, with the part sent by a provider's batch API. */
export interface ModelTokens {
  provider: string;
  prompt: number;
  completion: number;
  batch_prompt?: number | undefined;
  batch_completion?: number | undefined;
}

/** What a task's tokens cost, online and batch part apart; null costs when a model has no price. */
export interface CostSplit {
  online: number | null;
  batch: number | null;
  /** online + batch, or null. */
  total: number | null;
  /** `provider/model` of every model without a price. */
  unpriced: string[];
}

/**
 * The USD cost of a task's tokens at each price: tokens sent by batch at the model's batch price,
 * the rest at its online price (the summary, run_summary.json and task_results share this).
 *
 * @example
 * costByExecution(prices, { "gpt-4o-mini": { provider: "openai", prompt: 2e6, completion: 0, batch_prompt: 1e6 } })
 * // { online: 0.15, batch: 0.075, total: 0.225, unpriced: [] }
 */
export function costByExecution(
  prices: PriceTable,
  byModel: Readonly<Record<string, ModelTokens>>,
): CostSplit {
  let online = 0;
  let batch = 0;
  const unpriced: string[] = [];
  for (const [model, t] of Object.entries(byModel)) {
    const bp = t.batch_prompt ?? 0;
    const bc = t.batch_completion ?? 0;
    const o = estimateCost(prices, t.provider, model, t.prompt - bp, t.completion - bc);
    const b = estimateCost(prices, t.provider, model, bp, bc, "batch");
    if (o === undefined || b === undefined) unpriced.push(`${t.provider}/${model}`);
    else {
      online += o;
      batch += b;
    }
  }
  if (unpriced.length) return { online: null, batch: null, total: null, unpriced };
  return { online, batch, total: online + batch, unpriced };
}
