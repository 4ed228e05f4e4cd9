import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { RequestStats } from "./api-types.js";

export type { RequestStats };

const LATENCY_BOUNDS = [100, 250, 500, 1000, 2500, 5000, 10_000];
const TIME_BUCKETS = 40;

/**
 * Aggregate the `dgt.llm_call` spans of one run (by `run_id`) from a `traces.jsonl` file,
 * streaming it: counts, errors, tokens, a latency histogram and requests over time. A missing
 * file gives zero requests.
 *
 * @example
 * const stats = await requestStats("telemetry/traces.jsonl", "de7e48d7-...");
 */
export async function requestStats(tracesFile: string, runId: string): Promise<RequestStats> {
  const stats: RequestStats = {
    requests: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    latency: [...LATENCY_BOUNDS, null].map((upTo) => ({ upTo, count: 0 })),
    overTime: { bucketSeconds: 1, counts: [] },
  };
  if (!(await stat(tracesFile).catch(() => undefined))?.isFile()) return stats;
  const starts: number[] = [];
  const lines = createInterface({ input: createReadStream(tracesFile), crlfDelay: Infinity });
  for await (const line of lines) {
    // Cheap filter before parsing: most spans are not this run's LLM calls.
    if (!line.includes('"dgt.llm_call"') || !line.includes(runId)) continue;
    let span: Record<string, unknown>;
    try {
      span = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (span.span_name !== "dgt.llm_call" || span.run_id !== runId) continue;
    stats.requests += 1;
    if (span.status !== "ok") stats.errors += 1;
    stats.promptTokens += typeof span.prompt_tokens === "number" ? span.prompt_tokens : 0;
    stats.completionTokens +=
      typeof span.completion_tokens === "number" ? span.completion_tokens : 0;
    const ms = typeof span.duration_ms === "number" ? span.duration_ms : 0;
    const bucket = stats.latency.find((b) => b.upTo === null || ms < b.upTo);
    if (bucket) bucket.count += 1;
    const start = Date.parse(String(span.start_time));
    if (Number.isFinite(start)) starts.push(start);
  }
  if (starts.length) {
    const first = Math.min(...starts);
    const span = Math.max(...starts) - first;
    const bucketSeconds = Math.max(1, Math.ceil(span / 1000 / TIME_BUCKETS));
    const counts = new Array<number>(Math.floor(span / 1000 / bucketSeconds) + 1).fill(0);
    for (const s of starts) {
      const i = Math.floor((s - first) / 1000 / bucketSeconds);
      counts[i] = (counts[i] ?? 0) + 1;
    }
    stats.overTime = { bucketSeconds, counts };
  }
  return stats;
}
