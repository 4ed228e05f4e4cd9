import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { PACKAGE_ROOT } from "../registry/package-root.js";

/** Price of one model, USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Price through the provider's batch API (default: half of `input` / `output`). */
  batch_input?: number | undefined;
  batch_output?: number | undefined;
}

/** What a batch API costs by default, as a share of the online price (OpenAI's and Anthropic's). */
export const DEFAULT_BATCH_DISCOUNT = 0.5;

/** provider (block type, or "*") → model id (or prefix, or "*") → price. */
export type PriceTable = Record<string, Record<string, ModelPrice>>;

/** The file users drop in their working directory to add or override prices. */
export const USER_PRICES_FILE = "digit-prices.json";

/**
 * The price table: `data/prices.json` shipped with digit, then `./digit-prices.json`, then the
 * file named by `$DGT_PRICES_FILE`, each overriding entries of the one before.
 *
 * @example
 * const prices = loadPrices(process.cwd());
 * estimateCost(prices, "openai", "gpt-4o-mini", 1000, 200);
 */
export function loadPrices(
  cwd: string = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): PriceTable {
  const table: PriceTable = {};
  const files = [join(PACKAGE_ROOT, "data", "prices.json"), resolve(cwd, USER_PRICES_FILE)];
  if (env.DGT_PRICES_FILE) {
    const f = resolve(cwd, env.DGT_PRICES_FILE);
    if (!existsSync(f))
      throw new ConfigError(
        `price file '${env.DGT_PRICES_FILE}' (DGT_PRICES_FILE) does not exist`,
        { hint: "point DGT_PRICES_FILE at a JSON file shaped like data/prices.json, or unset it" },
      );
    files.push(f);
  }
  for (const file of files) {
    if (!existsSync(file)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new ConfigError(`price file is not valid JSON: ${(e as Error).message}`, {
        file,
        hint: "fix the JSON (see data/prices.json for the shape)",
      });
    }
    const providers = (parsed as { providers?: unknown }).providers;
    if (typeof providers !== "object" || providers === null)
      throw new ConfigError("price file has no 'providers' object", {
        file,
        hint: 'write { "providers": { "openai": { "gpt-4o-mini": { "input": 0.15, "output": 0.6 } } } }',
      });
    for (const [provider, models] of Object.entries(providers as Record<string, unknown>)) {
      for (const [model, price] of Object.entries((models ?? {}) as Record<string, unknown>)) {
        const p = price as Partial<ModelPrice>;
        if (typeof p?.input !== "number" || typeof p.output !== "number") {
          throw new ConfigError(
            `price of ${provider}/${model} needs numeric 'input' and 'output' (USD per million tokens)`,
            { file },
          );
        }
        for (const k of ["batch_input", "batch_output"] as const) {
          if (p[k] !== undefined && typeof p[k] !== "number")
            throw new ConfigError(
              `price of ${provider}/${model}: '${k}' must be a number (USD per million tokens through the batch API)`,
              { file },
            );
        }
        (table[provider] ??= {})[model] = {
          input: p.input,
          output: p.output,
          ...(p.batch_input !== undefined ? { batch_input: p.batch_input } : {}),
          ...(p.batch_output !== undefined ? { batch_output: p.batch_output } : {}),
        };
      }
    }
  }
  return table;
}

/** The price entry for a provider and model: exact id, else the longest prefix, else "*". */
export function findPrice(
  table: PriceTable,
  provider: string,
  model: string,
): ModelPrice | undefined {
  for (const p of [provider, "*"]) {
    const models = table[p];
    if (!models) continue;
    if (models[model]) return models[model];
    const prefix = Object.keys(models)
      .filter((k) => k !== "*" && model.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix) return models[prefix];
    if (models["*"]) return models["*"];
  }
  return undefined;
}

/**
 * Estimated cost in USD of some tokens, or undefined when the table has no price for the model.
 *
 * @example
 * estimateCost(table, "openai", "gpt-4o-mini-2024-07-18", 1_000_000, 0) // 0.15
 * estimateCost(table, "openai", "gpt-4o-mini", 1_000_000, 0, "batch") // 0.075
 */
export function estimateCost(
  table: PriceTable,
  provider: string,
  model: string,
  promptTokens: number,
  completionTokens: number,
  execution: "online" | "batch" = "online",
): number | undefined {
  const price = findPrice(table, provider, model);
  if (!price) return undefined;
  if (execution === "batch") {
    const input = price.batch_input ?? price.input * DEFAULT_BATCH_DISCOUNT;
    const output = price.batch_output ?? price.output * DEFAULT_BATCH_DISCOUNT;
    return (promptTokens * input + completionTokens * output) / 1_000_000;
  }
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}
