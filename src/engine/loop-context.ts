import type { SpendGuard } from "../blocks/lm/spend-guard.js";
import type { Task, TaskStatus } from "../tasks/task.js";
import type { BatchExecutor } from "./executor.js";
import type { RunMetrics } from "./metrics.js";

/** What the builder loops need from the run. */
export interface LoopContext {
  metrics: RunMetrics;
  signal: AbortSignal | undefined;
  /** Empty batches in a row (generation) / epochs without progress (postprocessing) before a task is stalled. */
  maxStalled: number;
  /** Upper bound on builder calls of one builder. */
  attemptCap: number;
  /** Builder calls in flight at once. */
  width: number;
  /**
   * When set, more calls than `width` (up to this many) may run while the builder's LLM limiters
   * have spare room (see `AdaptiveLimiter.spare`); unset when the user fixed the width.
   */
  fillWidth?: number | undefined;
  /** Runs each builder call (in process, or on workers). */
  executor: BatchExecutor;
  /** The run's spending caps; once one refuses a request, the loops commit and draw nothing more. */
  budget?: SpendGuard | undefined;
  /** Finish a task: final data, results record, event (`error`: why it stopped, in its results). */
  finish(task: Task, status: TaskStatus, error?: unknown): Promise<void>;
}
