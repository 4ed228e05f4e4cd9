import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type CacheStats, ResponseCache } from "../../cache/response-cache.js";
import { CACHE_FILE, cacheSettings } from "../../cache/settings.js";
import { UsageError } from "../../errors.js";
import { loadPrices } from "../../telemetry/prices.js";
import { costOf, thousands } from "../../telemetry/summary.js";
import { closest } from "../../util/did-you-mean.js";
import { table } from "../text-table.js";
import { CACHE_ACTIONS } from "./cache-options.js";

/**
 * `digit cache stats | prune --older-than <age> | clear`: what the response cache holds (entries,
 * size, tokens and their list-price worth per model), or delete old or all answers.
 *
 * @example
 * process.exitCode = await cacheCommand("prune", { olderThan: 30 * 86_400_000 });
 */
export async function cacheCommand(action: string, opts: Record<string, unknown>): Promise<number> {
  if (!(CACHE_ACTIONS as readonly string[]).includes(action)) {
    const near = closest(action, CACHE_ACTIONS);
    throw new UsageError(`'${action}' is not something digit cache can do`, {
      hint: `${near ? `did you mean '${near}'? ` : ""}use one of: ${CACHE_ACTIONS.join(", ")}`,
    });
  }
  if (action === "prune" && typeof opts.olderThan !== "number")
    throw new UsageError("digit cache prune needs --older-than <age>", {
      hint: "e.g. digit cache prune --older-than 30d",
    });
  const file =
    typeof opts.file === "string"
      ? resolve(opts.file)
      : join(
          cacheSettings({ dir: typeof opts.cacheDir === "string" ? opts.cacheDir : undefined }).dir,
          CACHE_FILE,
        );
  if (!existsSync(file)) {
    process.stdout.write(
      opts.json === true && action === "stats"
        ? `${JSON.stringify({ file, entries: 0 })}\n`
        : `no response cache at ${file}\n`,
    );
    return 0;
  }
  const cache = ResponseCache.open(file, {
    warnings: { warn: (m) => process.stderr.write(`warning: ${m}\n`) },
  });
  try {
    if (action === "stats")
      process.stdout.write(
        opts.json === true
          ? `${JSON.stringify(withWorth(cache.stats()))}\n`
          : formatStats(cache.stats()),
      );
    else if (action === "clear")
      process.stdout.write(`deleted ${thousands(cache.clear())} answers from ${file}\n`);
    else
      process.stdout.write(
        `deleted ${thousands(cache.prune(Date.now() - (opts.olderThan as number)))} answers older than ${describeAge(opts.olderThan as number)} from ${file}\n`,
      );
  } finally {
    cache.close();
  }
  return 0;
}

/** One model's stored answers and what their tokens cost at list prices (null without a price). */
type ModelWorth = CacheStats["models"][number] & { worth_usd: number | null };

/** Stats plus each model's worth. */
function withWorth(stats: CacheStats): Omit<CacheStats, "models"> & { models: ModelWorth[] } {
  const prices = loadPrices();
  return {
    ...stats,
    models: stats.models.map((m) => ({
      ...m,
      worth_usd: costOf(
        prices,
        {
          [m.model]: {
            provider: m.provider,
            prompt: m.prompt_tokens,
            completion: m.completion_tokens,
          },
        },
        [],
      ),
    })),
  };
}

function formatStats(stats: CacheStats): string {
  const s = withWorth(stats);
  const day = (t: number | undefined) =>
    t === undefined ? "-" : new Date(t).toISOString().slice(0, 19).replace("T", " ");
  const head = `${s.file}\n${thousands(s.entries)} answers, ${(s.bytes / 1_048_576).toFixed(1)} MB, stored ${day(s.oldest)} to ${day(s.newest)} UTC\n`;
  if (!s.models.length) return head;
  const rows = s.models.map((m) => [
    `${m.provider}/${m.model}`,
    thousands(m.entries),
    `${thousands(m.prompt_tokens)}/${thousands(m.completion_tokens)}`,
    m.worth_usd === null ? "n/a" : `$${m.worth_usd.toFixed(2)}`,
  ]);
  return `${head}\n${table(["model", "answers", "tokens in/out", "worth (list price)"], rows)}`;
}

function describeAge(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1
    ? `${Math.round(days * 10) / 10} days`
    : `${Math.round((ms / 3_600_000) * 10) / 10} hours`;
}
