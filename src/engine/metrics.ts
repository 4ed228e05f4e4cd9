import type {
  CacheLookupReport,
  LlmCallReport,
  RunObserver,
  TaskOpenedReport,
} from "../telemetry/observer.js";
import type { TaskFigures } from "../telemetry/summary.js";

/** Live counters of one task, for progress lines, task results and the run summary. */
export interface TaskMetrics extends TaskFigures {
  /** Records builders returned (before dedup and postprocessing). */
  produced: number;
  epoch: number;
}

/** Live rates of one task, for progress lines. */
export interface TaskRates {
  /** Requests finished per second over the last `windowMs`. */
  requestsPerSec: number;
  /** Records accepted per second over the last `windowMs`. */
  recordsPerSec: number;
  /** Seconds until the target at the current rate; undefined without a target or a rate. */
  etaSeconds: number | undefined;
  /** Requests of this task's blocks in flight now (all requests when not known per task). */
  inFlight: number;
}

const RATE_WINDOW_MS = 30_000;

/**
 * Collects what blocks report (LLM calls, rejects) per task, plus what the engine knows
 * (accepted counts, status). Progress displays and `task_results.jsonl` read from it.
 *
 * @example
 * const metrics = new RunMetrics();
 * createBlock(registry, config, { observer: metrics });
 */
export class RunMetrics implements RunObserver {
  readonly tasks = new Map<string, TaskMetrics>();
  inFlight = 0;
  requestsDone = 0;
  readonly startedAt = Date.now();
  /** Requests in flight per block name. */
  readonly inFlightByBlock = new Map<string, number>();
  /** Blocks that served each task (learned from LLM call reports). */
  private readonly blocksOfTask = new Map<string, Set<string>>();
  private readonly samples = new Map<
    string,
    { at: number; requests: number; accepted: number }[]
  >();
  private readonly openedListeners: ((report: TaskOpenedReport) => void)[] = [];
  private readonly callListeners: ((report: LlmCallReport) => void)[] = [];

  /** Call `fn` with every finished LLM request (after it is counted). */
  onLlmCall(fn: (report: LlmCallReport) => void): void {
    this.callListeners.push(fn);
  }

  /** Call `fn` whenever a task's output folder is ready. */
  onTaskOpened(fn: (report: TaskOpenedReport) => void): void {
    this.openedListeners.push(fn);
  }

  /** The engine reports that a task's folder is ready (per-task log files start here). */
  taskOpened(report: TaskOpenedReport): void {
    const m = this.task(report.task);
    m.dir = report.dir;
    m.builder = report.builder;
    m.resumed = report.resumed;
    m.accepted = report.accepted;
    for (const fn of this.openedListeners) fn(report);
  }

  task(name: string, kind?: TaskMetrics["kind"], target?: number): TaskMetrics {
    let m = this.tasks.get(name);
    if (m) {
      // The loops name kind and target; an earlier call (an LLM report) may have created the entry.
      if (kind !== undefined) m.kind = kind;
      if (target !== undefined) m.target = target;
    } else {
      kind ??= "generation";
      m = {
        task: name,
        kind,
        target,
        accepted: 0,
        produced: 0,
        rejected: {},
        requests: 0,
        batchRequests: 0,
        failedRequests: 0,
        failures: {},
        promptTokens: 0,
        completionTokens: 0,
        tokensByModel: {},
        cacheHits: 0,
        cacheMisses: 0,
        savedByModel: {},
        status: "pending",
        startedAt: Date.now(),
        endedAt: undefined,
        epoch: 0,
      };
      this.tasks.set(name, m);
    }
    return m;
  }

  requestStarted(block?: string): void {
    this.inFlight++;
    if (block !== undefined)
      this.inFlightByBlock.set(block, (this.inFlightByBlock.get(block) ?? 0) + 1);
  }

  requestFinished(block?: string): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.requestsDone++;
    if (block !== undefined)
      this.inFlightByBlock.set(block, Math.max(0, (this.inFlightByBlock.get(block) ?? 0) - 1));
  }

  /**
   * Rates of a task over the last 30 s (the first call starts the window). Call it at a steady
   * pace (the progress display does) so the window has samples to measure from.
   */
  rates(name: string, now: number = Date.now()): TaskRates {
    const m = this.task(name);
    const list = this.samples.get(name) ?? [];
    list.push({ at: now, requests: m.requests, accepted: m.accepted });
    while (list.length > 2 && now - list[1]!.at > RATE_WINDOW_MS) list.shift();
    this.samples.set(name, list);
    const first = list[0]!;
    const span = (now - first.at) / 1000;
    const requestsPerSec = span > 0 ? (m.requests - first.requests) / span : 0;
    const recordsPerSec = span > 0 ? (m.accepted - first.accepted) / span : 0;
    const left = m.target !== undefined ? m.target - m.accepted : undefined;
    const etaSeconds =
      left === undefined
        ? undefined
        : left <= 0
          ? 0
          : recordsPerSec > 0
            ? left / recordsPerSec
            : undefined;
    const blocks = this.blocksOfTask.get(name);
    const inFlight = blocks
      ? [...blocks].reduce((s, b) => s + (this.inFlightByBlock.get(b) ?? 0), 0)
      : this.inFlight;
    return { requestsPerSec, recordsPerSec, etaSeconds, inFlight };
  }

  llmCall(r: LlmCallReport): void {
    const names = r.task_names.length ? r.task_names : ["(no task)"];
    const rows = r.task_usage ? Object.values(r.task_usage).reduce((s, u) => s + u.rows, 0) : 0;
    for (const name of names) {
      // A request shared by several tasks counts for each in proportion to its rows; tokens are exact.
      const usage = r.task_usage?.[name];
      const share = usage && rows > 0 ? usage.rows / rows : 1 / names.length;
      const promptTokens = usage ? usage.prompt_tokens : r.prompt_tokens * share;
      const completionTokens = usage ? usage.completion_tokens : r.completion_tokens * share;
      const m = this.task(name);
      if (!this.blocksOfTask.has(name)) this.blocksOfTask.set(name, new Set());
      this.blocksOfTask.get(name)!.add(r.block);
      m.requests += share;
      if (r.execution === "batch") m.batchRequests = (m.batchRequests ?? 0) + share;
      if (!r.ok) m.failedRequests += share;
      for (const [kind, n] of Object.entries(r.attempt_errors ?? {}))
        m.failures[kind] = (m.failures[kind] ?? 0) + n * share;
      if (!r.ok && r.error_kind && !r.attempt_errors)
        m.failures[r.error_kind] = (m.failures[r.error_kind] ?? 0) + share;
      m.promptTokens += promptTokens;
      m.completionTokens += completionTokens;
      const b = ((m.byBlock ??= {})[r.block] ??= {
        requests: 0,
        prompt_tokens: 0,
        completion_tokens: 0,
      });
      b.requests += share;
      b.prompt_tokens += promptTokens;
      b.completion_tokens += completionTokens;
      const t = (m.tokensByModel[r.model] ??= { provider: r.provider, prompt: 0, completion: 0 });
      t.prompt += promptTokens;
      t.completion += completionTokens;
      if (r.execution === "batch") {
        t.batch_prompt = (t.batch_prompt ?? 0) + promptTokens;
        t.batch_completion = (t.batch_completion ?? 0) + completionTokens;
      }
    }
    for (const fn of this.callListeners) fn(r);
  }

  cacheLookup(r: CacheLookupReport): void {
    const names = r.task_names.length ? r.task_names : ["(no task)"];
    const share = 1 / names.length;
    for (const name of names) {
      const m = this.task(name);
      if (!r.hit) {
        m.cacheMisses += share;
        continue;
      }
      m.cacheHits += share;
      const t = (m.savedByModel[r.model] ??= { provider: r.provider, prompt: 0, completion: 0 });
      t.prompt += r.prompt_tokens * share;
      t.completion += r.completion_tokens * share;
    }
  }

  rejected(taskName: string, block: string, count: number): void {
    const m = this.task(taskName || "(no task)");
    m.rejected[block] = (m.rejected[block] ?? 0) + count;
  }
}
