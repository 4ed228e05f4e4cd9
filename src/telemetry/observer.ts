/** One finished LLM request, as providers report it (after retries). */
export interface LlmCallReport {
  block: string;
  provider: string;
  model: string;
  /** Distinct task names of the rows the request served. */
  task_names: string[];
  /** For a request that served several tasks (batched prompts): its rows and tokens per task. */
  task_usage?:
    | Record<string, { rows: number; prompt_tokens: number; completion_tokens: number }>
    | undefined;
  prompt_tokens: number;
  completion_tokens: number;
  ok: boolean;
  /** For failures: 429, 5xx, timeout, connection, parse, 4xx, other. */
  error_kind?: string | undefined;
  retries: number;
  /** Failed attempts by kind, including ones a retry later recovered from. */
  attempt_errors?: Record<string, number> | undefined;
  latency_ms: number;
  semaphore_wait_ms: number;
  /** How the request was sent: one online call (the default) or inside a provider batch. */
  execution?: "online" | "batch" | undefined;
}

/** One response cache lookup: a hit (the answer was stored; nothing was sent) or a miss. */
export interface CacheLookupReport {
  block: string;
  provider: string;
  model: string;
  task_names: string[];
  hit: boolean;
  /** The stored answer's token usage (what a hit saved); 0 for a miss. */
  prompt_tokens: number;
  completion_tokens: number;
}

/**
 * Live counters a run exposes to progress displays and task results. Blocks report into it; every
 * method is optional so a block works without one.
 *
 * @example
 * ctx.observer?.requestStarted?.("generator");
 */
export interface RunObserver {
  requestStarted?(block: string): void;
  requestFinished?(block: string): void;
  llmCall?(report: LlmCallReport): void;
  cacheLookup?(report: CacheLookupReport): void;
  rejected?(taskName: string, block: string, count: number): void;
}

/** A task whose output folder is ready (opened, cleared on restart, or loaded to resume). */
export interface TaskOpenedReport {
  task: string;
  builder: string;
  dir: string;
  resumed: boolean;
  /** Records already accepted (non-zero when resuming). */
  accepted: number;
}
