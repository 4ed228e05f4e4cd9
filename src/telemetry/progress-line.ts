/**
 * One line of a task's `progress.jsonl`: the task's counters at one moment, as a run writes them
 * every few seconds while the task runs (cumulative since the run started; `records` and the
 * status are the task's own). Nothing here may import: the studio's page reads this type too.
 *
 * @example
 * const line: ProgressLine = JSON.parse(text);
 * console.log(`${line.records} records, ${line.in_flight} requests in flight`);
 */
export interface ProgressLine {
  /** When the counters were read (UTC ISO). */
  time: string;
  build_id: string;
  run_id: string;
  task_name: string;
  status: string;
  /** Records accepted so far (for a resumed task, including the ones it resumed with). */
  records: number;
  target: number | null;
  /** Rows removed by validators and dedup so far, all blocks together. */
  rejected: number;
  /** LLM requests finished, and those that failed after their retries. */
  requests: number;
  failed_requests: number;
  /** Failed attempts, retried or not (429s, timeouts, ...), all kinds together. */
  failed_attempts: number;
  /** This task's requests in flight when the line was written. */
  in_flight: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Estimated USD so far; null when a model used has no price. */
  cost_usd: number | null;
  cache_hits: number;
}
