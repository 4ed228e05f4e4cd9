import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { redactSecrets } from "../util/redact.js";
import { estimateCost, type PriceTable } from "./prices.js";

/** What the summary needs to know of one task (the engine's live task metrics fit this). */
export interface TaskFigures {
  task: string;
  kind: "generation" | "transformation";
  target: number | undefined;
  accepted: number;
  rejected: Record<string, number>;
  requests: number;
  failedRequests: number;
  /** Failed attempts by kind (429, 5xx, timeout, connection, parse, 4xx, other), retried or not. */
  failures: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
  /** Tokens per model, for cost estimates; `batch_*` are the part sent by batch API (batch price). */
  tokensByModel: Record<
    string,
    {
      provider: string;
      prompt: number;
      completion: number;
      batch_prompt?: number | undefined;
      batch_completion?: number | undefined;
    }
  >;
  /** Requests sent inside provider batches (the rest went online). */
  batchRequests?: number | undefined;
  /**
   * Requests and tokens per block that sent them (the YAML's blocks and the LMs a builder made
   * itself, such as tool engines' simulators).
   */
  byBlock?: Record<string, BlockFigures> | undefined;
  /** Requests answered from the response cache, and requests the cache could not answer. */
  cacheHits: number;
  cacheMisses: number;
  /** Tokens the cache hits would have cost, per model (for the money saved). */
  savedByModel: Record<string, { provider: string; prompt: number; completion: number }>;
  status: string;
  startedAt: number;
  endedAt: number | undefined;
  /** Builder, output folder and resume flag, once the task opened. */
  builder?: string | undefined;
  dir?: string | undefined;
  resumed?: boolean | undefined;
}

/**
 * What one block sent for a task.
 *
 * @example
 * const b: BlockFigures = { requests: 3, prompt_tokens: 120, completion_tokens: 40 };
 */
export interface BlockFigures {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** How a task ended, as the engine reports it. */
export interface TaskEnd {
  task: string;
  status: string;
  records: number;
  dir: string;
  /** The final data file (or Parquet folder), only if it exists. */
  final?: string | undefined;
}

/** One row of the summary. */
export interface TaskSummary {
  task: string;
  builder: string | null;
  kind: "generation" | "transformation";
  status: string;
  records: number;
  target: number | null;
  resumed: boolean;
  /** Records removed, per validator block. */
  rejected: Record<string, number>;
  requests: number;
  /** Of `requests`, those sent inside provider batches (the rest went online). */
  batch_requests: number;
  failed_requests: number;
  /** Failed attempts by kind (429, 5xx, timeout, connection, parse, 4xx, other), retried or not. */
  failures: Record<string, number>;
  prompt_tokens: number;
  completion_tokens: number;
  /** Requests and tokens per block that sent them. */
  blocks: Record<string, BlockFigures>;
  /** Estimated USD; null when some model used has no price. */
  cost_usd: number | null;
  /** Of `cost_usd`, the online requests' part at online prices and the batched ones' at batch prices. */
  cost_online_usd: number | null;
  cost_batch_usd: number | null;
  /** Models without a price entry (so no cost could be given). */
  unpriced_models: string[];
  /** Requests answered from the response cache (nothing sent), and requests it could not answer. */
  cache_hits: number;
  cache_misses: number;
  /** Estimated USD the cache hits would have cost; null when some model has no price. */
  saved_usd: number | null;
  wall_time_s: number;
  output: string | null;
  /** The task's final data, or null when none was written (failed, cancelled, no records). */
  final_data: string | null;
}

/** The whole `run_summary.json`. */
export interface RunSummary {
  build_id: string;
  run_id: string;
  started_at: string;
  ended_at: string;
  wall_time_s: number;
  tasks: TaskSummary[];
  totals: {
    records: number;
    requests: number;
    failed_requests: number;
    prompt_tokens: number;
    completion_tokens: number;
    cost_usd: number | null;
    cache_hits: number;
    cache_misses: number;
    saved_usd: number | null;
  };
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const roundAll = (r: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(r)
      .map(([k, v]) => [k, round(v)])
      .filter(([, v]) => (v as number) > 0),
  );

/**
 * Per-block figures rounded to whole requests and tokens.
 *
 * @example
 * roundBlocks({ gen: { requests: 1.5, prompt_tokens: 10, completion_tokens: 2 } })
 */
export function roundBlocks(
  byBlock: Record<string, BlockFigures> | undefined,
): Record<string, BlockFigures> {
  return Object.fromEntries(
    Object.entries(byBlock ?? {}).map(([k, b]) => [
      k,
      {
        requests: round(b.requests),
        prompt_tokens: round(b.prompt_tokens),
        completion_tokens: round(b.completion_tokens),
      },
    ]),
  );
}

/**
 * Build the end-of-run summary from the run's task figures and outcomes.
 *
 * @example
 * const summary = buildSummary({ buildId: "exp", runId, startedAt, tasks: [...metrics.tasks.values()], outcomes, prices });
 */
export function buildSummary(input: {
  buildId: string;
  runId: string;
  startedAt: number;
  endedAt?: number;
  tasks: readonly TaskFigures[];
  outcomes: readonly TaskEnd[];
  prices: PriceTable;
}): RunSummary {
  const endedAt = input.endedAt ?? Date.now();
  const tasks: TaskSummary[] = [];
  for (const m of input.tasks) {
    if (m.task === "(no task)" && m.requests === 0) continue;
    const outcome = input.outcomes.find((o) => o.task === m.task);
    const { online, batch, unpriced } = splitCost(input.prices, m.tokensByModel);
    const cost = online === null || batch === null ? null : online + batch;
    const saved = costOf(input.prices, m.savedByModel, []);
    tasks.push({
      task: m.task,
      builder: m.builder ?? null,
      kind: m.kind,
      status: outcome?.status ?? m.status,
      records: outcome?.records ?? m.accepted,
      target: m.target ?? null,
      resumed: m.resumed === true,
      rejected: roundAll(m.rejected),
      requests: round(m.requests),
      batch_requests: round(m.batchRequests ?? 0),
      failed_requests: round(m.failedRequests),
      failures: roundAll(m.failures),
      prompt_tokens: round(m.promptTokens),
      completion_tokens: round(m.completionTokens),
      blocks: roundBlocks(m.byBlock),
      cost_usd: cost === null ? null : round(cost, 6),
      cost_online_usd: online === null ? null : round(online, 6),
      cost_batch_usd: batch === null ? null : round(batch, 6),
      unpriced_models: unpriced,
      cache_hits: round(m.cacheHits),
      cache_misses: round(m.cacheMisses),
      saved_usd: saved === null ? null : round(saved, 6),
      wall_time_s: round(((m.endedAt ?? endedAt) - m.startedAt) / 1000, 1),
      output: outcome?.dir ?? m.dir ?? null,
      final_data: outcome?.final ?? null,
    });
  }
  const sum = (f: (t: TaskSummary) => number) => tasks.reduce((s, t) => s + f(t), 0);
  const costs = tasks.map((t) => t.cost_usd);
  const savings = tasks.map((t) => t.saved_usd);
  return {
    build_id: input.buildId,
    run_id: input.runId,
    started_at: new Date(input.startedAt).toISOString(),
    ended_at: new Date(endedAt).toISOString(),
    wall_time_s: round((endedAt - input.startedAt) / 1000, 1),
    tasks,
    totals: {
      records: sum((t) => t.records),
      requests: sum((t) => t.requests),
      failed_requests: sum((t) => t.failed_requests),
      prompt_tokens: sum((t) => t.prompt_tokens),
      completion_tokens: sum((t) => t.completion_tokens),
      cost_usd: costs.some((c) => c === null)
        ? null
        : round(
            costs.reduce<number>((s, c) => s + (c ?? 0), 0),
            6,
          ),
      cache_hits: sum((t) => t.cache_hits),
      cache_misses: sum((t) => t.cache_misses),
      saved_usd: savings.some((c) => c === null)
        ? null
        : round(
            savings.reduce<number>((s, c) => s + (c ?? 0), 0),
            6,
          ),
    },
  };
}

/**
 * The USD cost of a task's tokens, split into the online requests' part (online prices) and the
 * batched ones' (batch prices); both null when some model has no price (named in `unpriced`).
 *
 * @example
 * const { online, batch } = splitCost(prices, metrics.task("qa").tokensByModel);
 */
export function splitCost(
  prices: PriceTable,
  byModel: TaskFigures["tokensByModel"],
): { online: number | null; batch: number | null; unpriced: string[] } {
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
  return unpriced.length ? { online: null, batch: null, unpriced } : { online, batch, unpriced };
}

/**
 * The USD cost of tokens per model, or null when a model has no price (named in `unpriced`).
 *
 * @example
 * costOf(prices, { "gpt-4o-mini": { provider: "openai", prompt: 1e6, completion: 0 } }, []) // 0.15
 */
export function costOf(
  prices: PriceTable,
  byModel: TaskFigures["tokensByModel"],
  unpriced: string[],
): number | null {
  let cost = 0;
  for (const [model, t] of Object.entries(byModel)) {
    const c = estimateCost(prices, t.provider, model, t.prompt, t.completion);
    if (c === undefined) unpriced.push(`${t.provider}/${model}`);
    else cost += c;
  }
  return unpriced.length ? null : cost;
}

/**
 * Write `<outputDir>/run_summary.json` atomically (temp file, then rename), secrets redacted.
 *
 * @example
 * writeSummary("output", summary);
 */
export function writeSummary(outputDir: string, summary: RunSummary): string {
  mkdirSync(outputDir, { recursive: true });
  const file = join(outputDir, "run_summary.json");
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(redactSecrets(summary), null, 2)}\n`);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true }); // a partial temporary (a full disk) is not left behind
    throw e;
  }
  return file;
}

/**
 * A whole number with comma separators. (Not `toLocaleString`: its first call loads locale data,
 * which every run would pay for at its end.)
 *
 * @example
 * thousands(1234567.4) // "1,234,567"
 */
export function thousands(n: number): string {
  const digits = String(Math.abs(Math.round(n)));
  return (n <= -0.5 ? "-" : "") + digits.replace(/\B(?=(\d{3})+$)/g, ",");
}

/** Human time: 42s, 3m05s, 1h02m. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function cost(c: number | null): string {
  if (c === null) return "n/a";
  return c === 0 ? "$0" : c < 0.01 ? `$${c.toFixed(4)}` : `$${c.toFixed(2)}`;
}

function pairs(r: Record<string, number>): string {
  const e = Object.entries(r);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(", ") : "-";
}

/**
 * The summary as a plain-text table (no escape codes), one row per task plus a total.
 *
 * @example
 * process.stdout.write(formatSummary(summary));
 */
export function formatSummary(summary: RunSummary): string {
  const header = [
    "task",
    "status",
    "records",
    "rejected",
    "requests",
    "failures",
    "tokens in/out",
    "cost",
    "time",
  ];
  const rows = summary.tasks.map((t) => [
    t.task,
    t.status + (t.resumed ? " (resumed)" : ""),
    t.target !== null && t.kind === "generation" ? `${t.records}/${t.target}` : String(t.records),
    pairs(t.rejected),
    t.batch_requests ? `${t.requests} (${t.batch_requests} batch)` : String(t.requests),
    pairs(t.failures),
    `${thousands(t.prompt_tokens)}/${thousands(t.completion_tokens)}`,
    t.batch_requests && t.cost_batch_usd !== null && t.cost_online_usd !== null
      ? `${cost(t.cost_usd)} (batch ${cost(t.cost_batch_usd)})`
      : cost(t.cost_usd),
    duration(t.wall_time_s),
  ]);
  if (summary.tasks.length > 1) {
    const tot = summary.totals;
    rows.push([
      "total",
      "",
      String(tot.records),
      "",
      String(tot.requests),
      tot.failed_requests ? `${tot.failed_requests} failed` : "-",
      `${thousands(tot.prompt_tokens)}/${thousands(tot.completion_tokens)}`,
      cost(tot.cost_usd),
      duration(summary.wall_time_s),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  const unpriced = [...new Set(summary.tasks.flatMap((t) => t.unpriced_models))];
  if (unpriced.length)
    out.push(`cost n/a: no price for ${unpriced.join(", ")} (add it to ./digit-prices.json)`);
  const tot = summary.totals;
  if (tot.cache_hits + tot.cache_misses > 0) {
    out.push(
      `response cache: ${thousands(tot.cache_hits)} hits, ${thousands(tot.cache_misses)} misses, saved ${cost(tot.saved_usd)}`,
    );
  }
  return `${out.join("\n")}\n`;
}
