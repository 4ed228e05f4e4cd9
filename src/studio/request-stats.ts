import { open, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import type { RequestStats } from "./api-types.js";

export type { RequestStats };

const LATENCY_BOUNDS = [100, 250, 500, 1000, 2500, 5000, 10_000];
const TIME_BUCKETS = 40;
/** Bytes read at a time while catching up with the file. */
const CHUNK = 4 * 1024 * 1024;

/** What is kept of one run's requests between reads: totals, latency counts, start times. */
interface Tally {
  offset: number;
  /** The last line read so far without its newline, and a character cut by the read. */
  rest: string;
  decoder: StringDecoder;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  latency: number[];
  starts: number[];
}

function emptyTally(): Tally {
  return {
    offset: 0,
    rest: "",
    decoder: new StringDecoder("utf8"),
    requests: 0,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    latency: new Array<number>(LATENCY_BOUNDS.length + 1).fill(0),
    starts: [],
  };
}

function count(t: Tally, line: string, runId: string): void {
  // Cheap filter before parsing: most spans are not this run's LLM calls.
  if (!line.includes('"dgt.llm_call"') || !line.includes(runId)) return;
  let span: Record<string, unknown>;
  try {
    span = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  if (span.span_name !== "dgt.llm_call" || span.run_id !== runId) return;
  t.requests += 1;
  if (span.status !== "ok") t.errors += 1;
  t.promptTokens += typeof span.prompt_tokens === "number" ? span.prompt_tokens : 0;
  t.completionTokens += typeof span.completion_tokens === "number" ? span.completion_tokens : 0;
  const ms = typeof span.duration_ms === "number" ? span.duration_ms : 0;
  const bucket = LATENCY_BOUNDS.findIndex((upTo) => ms < upTo);
  t.latency[bucket < 0 ? LATENCY_BOUNDS.length : bucket]! += 1;
  const start = Date.parse(String(span.start_time));
  if (Number.isFinite(start)) t.starts.push(start);
}

function statsOf(t: Tally): RequestStats {
  const stats: RequestStats = {
    requests: t.requests,
    errors: t.errors,
    promptTokens: t.promptTokens,
    completionTokens: t.completionTokens,
    latency: [...LATENCY_BOUNDS, null].map((upTo, i) => ({ upTo, count: t.latency[i] ?? 0 })),
    overTime: { bucketSeconds: 1, counts: [] },
  };
  if (t.starts.length) {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const s of t.starts) {
      first = Math.min(first, s);
      last = Math.max(last, s);
    }
    const span = last - first;
    const bucketSeconds = Math.max(1, Math.ceil(span / 1000 / TIME_BUCKETS));
    const counts = new Array<number>(Math.floor(span / 1000 / bucketSeconds) + 1).fill(0);
    for (const s of t.starts) counts[Math.floor((s - first) / 1000 / bucketSeconds)]! += 1;
    stats.overTime = { bucketSeconds, counts };
  }
  return stats;
}

/**
 * The `dgt.llm_call` spans of runs (by `run_id`) in a `traces.jsonl` file, aggregated: counts,
 * errors, tokens, a latency histogram and requests over time. The file is followed: a run's
 * second look reads only the bytes appended since its first (a live run's charts stay cheap); a
 * file that shrank (rotated) is read again. A missing file gives zero requests.
 *
 * @example
 * const log = new RequestLog("telemetry/traces.jsonl");
 * const stats = await log.stats("de7e48d7-...");
 */
export class RequestLog {
  private readonly tallies = new Map<string, Tally>();
  /** Reads one at a time: two at once would count the same bytes twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  stats(runId: string): Promise<RequestStats> {
    const next = this.queue.then(() => this.catchUp(runId));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async catchUp(runId: string): Promise<RequestStats> {
    const size = (await stat(this.file).catch(() => undefined))?.size ?? 0;
    let t = this.tallies.get(runId);
    if (!t || size < t.offset) this.tallies.set(runId, (t = emptyTally()));
    if (size > t.offset) {
      const fh = await open(this.file, "r");
      try {
        const buf = Buffer.alloc(Math.min(CHUNK, size - t.offset));
        while (t.offset < size) {
          const { bytesRead } = await fh.read(
            buf,
            0,
            Math.min(buf.length, size - t.offset),
            t.offset,
          );
          if (bytesRead === 0) break;
          t.offset += bytesRead;
          const lines = (t.rest + t.decoder.write(buf.subarray(0, bytesRead))).split("\n");
          t.rest = lines.pop() ?? "";
          for (const line of lines) count(t, line, runId);
        }
      } finally {
        await fh.close();
      }
    }
    return statsOf(t);
  }
}

/**
 * One run's requests from a `traces.jsonl` file, read once (see `RequestLog` to follow a file).
 *
 * @example
 * const stats = await requestStats("telemetry/traces.jsonl", "de7e48d7-...");
 */
export function requestStats(tracesFile: string, runId: string): Promise<RequestStats> {
  return new RequestLog(tracesFile).stats(runId);
}
