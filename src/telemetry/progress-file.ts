import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { jsonLine } from "./json-line.js";
import type { PriceTable } from "./prices.js";
import type { ProgressSource } from "./progress.js";
import type { ProgressLine } from "./progress-line.js";
import { splitCost } from "./summary.js";

export type { ProgressLine };

/** The file, in each task's output folder, that `ProgressFile` appends to. */
export const PROGRESS_FILE = "progress.jsonl";

/** What a `ProgressFile` stamps on its lines and where its figures come from. */
export interface ProgressFileOptions {
  buildId: string;
  runId: string;
  prices: PriceTable;
  /** How often the counters are read (ms). */
  intervalMs: number;
  /** Told once when a task's file cannot be written (then that file is given up). */
  warn?: ((message: string) => void) | undefined;
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Appends a line to each open task's `progress.jsonl` every few seconds while a run goes: its
 * records, rejects, requests, failures, requests in flight, tokens and cost so far (see
 * `ProgressLine`). A line is written only when a figure changed, and once more at `stop()`, so
 * an idle task adds nothing; `digit studio` follows these files for its live view and charts.
 *
 * @example
 * const file = new ProgressFile(metrics, { buildId: "exp", runId, prices, intervalMs: 2000 });
 * file.start();
 * await run(options);
 * file.stop();
 */
export class ProgressFile {
  private timer: NodeJS.Timeout | undefined;
  private readonly last = new Map<string, string>();
  private readonly failed = new Set<string>();

  constructor(
    private readonly source: ProgressSource,
    private readonly options: ProgressFileOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.write(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Write the tasks' last figures (their final status) and stop. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.write();
  }

  /** The line a task would get now (without its time). */
  line(task: string, now: number = Date.now()): Omit<ProgressLine, "time"> | undefined {
    const m = this.source.tasks.get(task);
    if (!m) return undefined;
    const { online, batch } = splitCost(this.options.prices, m.tokensByModel);
    const sum = (r: Record<string, number>) => Object.values(r).reduce((s, n) => s + n, 0);
    return {
      build_id: this.options.buildId,
      run_id: this.options.runId,
      task_name: m.task,
      status: m.status,
      records: m.target !== undefined ? Math.min(m.accepted, m.target) : m.accepted,
      target: m.target ?? null,
      rejected: round(sum(m.rejected)),
      requests: round(m.requests),
      failed_requests: round(m.failedRequests),
      failed_attempts: round(sum(m.failures)),
      in_flight: this.source.rates(m.task, now).inFlight,
      prompt_tokens: round(m.promptTokens),
      completion_tokens: round(m.completionTokens),
      cost_usd: online === null || batch === null ? null : round(online + batch, 6),
      cache_hits: round(m.cacheHits),
    };
  }

  private write(): void {
    const now = Date.now();
    for (const m of this.source.tasks.values()) {
      if (!m.dir || this.failed.has(m.task)) continue;
      const line = this.line(m.task, now);
      const sig = JSON.stringify(line);
      if (!line || this.last.get(m.task) === sig) continue;
      const file = join(m.dir, PROGRESS_FILE);
      try {
        appendFileSync(file, jsonLine({ time: new Date(now).toISOString(), ...line }));
        this.last.set(m.task, sig);
      } catch (e) {
        // The progress file is a view of the run, not its output: a full disk ends it, not the run.
        this.failed.add(m.task);
        this.options.warn?.(`could not write ${file}: ${(e as Error).message}`);
      }
    }
  }
}
