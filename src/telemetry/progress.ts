import { createRequire } from "node:module";
import type cliProgress from "cli-progress";
import { printable, printableJson } from "../util/printable.js";
import { jsonLine } from "./json-line.js";
import type { ConsoleOutput } from "./logger.js";
import { duration, type TaskFigures, thousands } from "./summary.js";

/** How progress is shown: live bars, periodic plain lines, periodic JSON lines, or not at all. */
export type ProgressMode = "tty" | "plain" | "json" | "off";

/** Live rates of a task (the engine's RunMetrics.rates fits this). */
export interface ProgressRates {
  requestsPerSec: number;
  etaSeconds: number | undefined;
  inFlight: number;
}

/** Where the display reads its figures from (the engine's RunMetrics fits this). */
export interface ProgressSource {
  readonly tasks: ReadonlyMap<string, TaskFigures>;
  rates(task: string, now?: number): ProgressRates;
}

/** Options of a ProgressDisplay. */
export interface ProgressOptions {
  mode: ProgressMode;
  /** Where bars and lines go (default stderr). */
  stream?: NodeJS.WriteStream | undefined;
  /** Plain/JSON modes: one line per task this often (default 5000 ms, env `DGT_PROGRESS_INTERVAL_MS`). */
  intervalMs?: number | undefined;
}

/**
 * Pick the progress mode: `json` with `--log-format json`, `off` with `--quiet`, live bars when
 * stderr is a terminal (and TERM is not "dumb"), plain lines otherwise.
 *
 * @example
 * const mode = progressMode({ quiet: false, logFormat: "text", isTTY: process.stderr.isTTY });
 */
export function progressMode(o: {
  quiet?: boolean;
  logFormat?: string;
  isTTY?: boolean;
  env?: NodeJS.ProcessEnv;
}): ProgressMode {
  if (o.quiet) return "off";
  if (o.logFormat === "json") return "json";
  const env = o.env ?? process.env;
  return o.isTTY && env.TERM !== "dumb" ? "tty" : "plain";
}

/** One task's figures as short fields (shared by every mode). */
export function progressFields(
  m: TaskFigures,
  r: ProgressRates,
): {
  accepted: number;
  target: number | undefined;
  rejected: number;
  in_flight: number;
  requests_per_s: number;
  prompt_tokens: number;
  completion_tokens: number;
  eta_s: number | undefined;
} {
  const target = m.kind === "generation" ? m.target : undefined;
  return {
    // A last batch may overshoot; final_data is trimmed to the target, so show at most that.
    accepted: target !== undefined ? Math.min(m.accepted, target) : m.accepted,
    target,
    rejected: Object.values(m.rejected).reduce((s, n) => s + n, 0),
    in_flight: r.inFlight,
    requests_per_s: Math.round(r.requestsPerSec * 10) / 10,
    prompt_tokens: Math.round(m.promptTokens),
    completion_tokens: Math.round(m.completionTokens),
    eta_s: r.etaSeconds === undefined ? undefined : Math.round(r.etaSeconds),
  };
}

/** A plain progress line for one task (no escape codes). */
export function plainLine(m: TaskFigures, r: ProgressRates): string {
  const f = progressFields(m, r);
  const done = m.status !== "running" && m.status !== "pending";
  const count = f.target !== undefined ? `${f.accepted}/${f.target}` : String(f.accepted);
  const eta = done ? m.status : f.eta_s === undefined ? "ETA ?" : `ETA ${duration(f.eta_s)}`;
  return `${m.task}: ${count} records, ${f.rejected} rejected, ${f.in_flight} in flight, ${f.requests_per_s} req/s, tokens ${thousands(f.prompt_tokens)}/${thousands(f.completion_tokens)}, ${eta}`;
}

const BAR_WIDTH = 16;

function bar(accepted: number, target: number | undefined): string {
  if (!target) return "";
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round((accepted / target) * BAR_WIDTH)));
  return `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}] `;
}

/**
 * Shows what a run is doing while it runs: on a terminal one live line per task (accepted/target,
 * rejected, requests in flight, requests/s, tokens in/out, ETA) drawn with cli-progress; elsewhere
 * one plain (or JSON) line per task every few seconds, with no escape codes.
 *
 * Log lines must go through `output` while the display runs, so they print above the bars.
 *
 * @example
 * const progress = new ProgressDisplay(metrics, { mode: "tty" });
 * const logger = new ConsoleLogger("info", {}, [], progress.output);
 * progress.start();
 * await run({ ...options, logger, metrics });
 * progress.stop();
 */
export class ProgressDisplay {
  readonly output: ConsoleOutput;
  private readonly stream: NodeJS.WriteStream;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private multibar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(
    private readonly source: ProgressSource,
    private readonly options: ProgressOptions,
  ) {
    this.stream = options.stream ?? process.stderr;
    const env = Number(process.env.DGT_PROGRESS_INTERVAL_MS);
    this.intervalMs = options.intervalMs ?? (Number.isFinite(env) && env > 0 ? env : 5000);
    const format = options.mode === "json" ? "json" : "text";
    this.output = {
      format,
      write: (line) => {
        if (this.multibar) this.multibar.log(line.endsWith("\n") ? line : `${line}\n`);
        else this.stream.write(line);
      },
    };
  }

  start(): void {
    if (this.options.mode === "off" || this.timer) return;
    if (this.options.mode === "tty") {
      // Loaded only for a terminal: a run whose output goes to a file or pipe does not pay for it.
      const { MultiBar } = createRequire(import.meta.url)("cli-progress") as typeof cliProgress;
      this.multibar = new MultiBar({
        format: (_o, _p, payload: { line?: string }) => payload.line ?? "",
        stream: this.stream,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        gracefulExit: false,
        fps: 5,
        linewrap: false,
        autopadding: false,
      });
      this.timer = setInterval(() => this.refresh(), 250);
    } else {
      this.timer = setInterval(() => this.printLines(), this.intervalMs);
    }
    this.timer.unref();
  }

  /** Draw the final state and release the terminal (or print the last plain lines). */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.multibar) {
      this.refresh();
      // Draw once more before stopping: cli-progress's stop() drops log lines still waiting for
      // the next frame (up to 200 ms of them).
      this.multibar.update();
      this.multibar.stop();
      this.multibar = undefined;
    } else {
      this.printLines();
    }
  }

  private refresh(): void {
    const now = Date.now();
    const width = (this.stream.columns ?? 120) - 1;
    const nameWidth = Math.min(
      32,
      Math.max(0, ...[...this.source.tasks.keys()].map((k) => k.length)),
    );
    for (const m of this.source.tasks.values()) {
      if (m.task === "(no task)") continue;
      const f = progressFields(m, this.source.rates(m.task, now));
      const done = m.status !== "running" && m.status !== "pending";
      const count = f.target !== undefined ? `${f.accepted}/${f.target}` : `${f.accepted}`;
      const eta = done ? m.status : f.eta_s === undefined ? "ETA ?" : `ETA ${duration(f.eta_s)}`;
      // Most important first, so a narrow terminal cuts the least useful fields.
      const line = `${m.task.padEnd(nameWidth)} ${bar(f.accepted, f.target)}${count} ${eta} | rej ${f.rejected} | ${f.in_flight} in flight | ${f.requests_per_s} req/s | tok ${thousands(f.prompt_tokens)}/${thousands(f.completion_tokens)}`;
      const safe = printable(line, true);
      const text = safe.length > width ? safe.slice(0, width) : safe;
      let b = this.bars.get(m.task);
      if (!b) {
        b = this.multibar!.create(f.target ?? 0, f.accepted, { line: text });
        this.bars.set(m.task, b);
      } else {
        b.update(f.accepted, { line: text });
      }
    }
  }

  private printLines(): void {
    const now = Date.now();
    for (const m of this.source.tasks.values()) {
      if (m.task === "(no task)") continue;
      const r = this.source.rates(m.task, now);
      if (this.options.mode === "json") {
        this.stream.write(
          printableJson(
            jsonLine({
              time: new Date(now).toISOString(),
              level: "info",
              msg: "progress",
              task_name: m.task,
              status: m.status,
              ...progressFields(m, r),
            }),
          ),
        );
      } else {
        this.stream.write(`progress: ${printable(plainLine(m, r), true)}\n`);
      }
    }
  }
}
