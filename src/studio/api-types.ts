/**
 * What the studio server answers, as types shared by the server (src/studio) and its page
 * (studio-app). Nothing here may import but import-free type files: the page is type-checked
 * without Node's types.
 *
 * @example
 * import type { RunInfo } from "./api-types.js";
 * const runs: RunInfo[] = [];
 */

import type { ProgressLine } from "../telemetry/progress-line.js";

export type { ProgressLine };

/** A record file of a task, by its role in DiGiT's output layout. */
export interface TaskFile {
  /** Path relative to the studio's output folder, with `/` separators. */
  path: string;
  /** final_data, data, postproc (an epoch snapshot), reject (a block's removed rows), formatted. */
  role: "final_data" | "data" | "postproc" | "reject" | "formatted";
  /** The epoch of a postproc file, the block of a reject file. */
  label: string;
  bytes: number;
}

/** One task's output folder, with what its files and `task_results.jsonl` say. */
export interface TaskInfo {
  /** The task folder relative to the output folder (`/` separators); the task's id in the API. */
  id: string;
  /** The run it belongs to (a folder with run_summary.json; "" = the output folder itself). */
  run: string;
  name: string;
  status: string;
  /** The last `task_results.jsonl` line's metrics, and the run summary's entry for the task. */
  metrics: Record<string, unknown>;
  summary: Record<string, unknown> | undefined;
  files: TaskFile[];
}

/** A run: a folder with `run_summary.json` (or the output folder when it has none). */
export interface RunInfo {
  id: string;
  summary: Record<string, unknown> | undefined;
  tasks: TaskInfo[];
}

/** One page: rows with their position in the file, and the number of rows in the view. */
export interface RecordPage {
  total: number;
  offset: number;
  rows: { index: number; record: unknown }[];
  columns: string[];
}

/** What one field of a sample of records looks like. */
export interface FieldStats {
  field: string;
  /** Records of the sample that have the field (not null). */
  present: number;
  /** Mean length of its string values (characters), when it has any. */
  meanLength: number | undefined;
  /** Mean of its numeric values, when it has any. */
  mean: number | undefined;
  /** Its most common values (as JSON text, cut to 80 characters), with their counts. */
  top: { value: string; count: number }[];
}

/** What the page is told about a task when its files change. */
export interface TaskProgress {
  task: TaskInfo;
  /** Records in its data file now (final_data when there is no data file). */
  records: number;
  /** Records per second since the previous change seen. */
  rate: number;
  at: number;
  /** The last line of its `progress.jsonl` (written while a run goes, with telemetry on). */
  latest: ProgressLine | null;
  /** Requests finished per second between the last two lines of the same run; null: unknown. */
  requestRate: number | null;
}

/** A task's `progress.jsonl`: the latest run's lines (thinned to a few hundred). */
export interface Timeline {
  runId: string | null;
  /** Runs that wrote to the file (a resumed task has several). */
  runs: number;
  latest: ProgressLine | null;
  points: ProgressLine[];
}

/** A run's LLM requests as `traces.jsonl` recorded them (its `dgt.llm_call` spans). */
export interface RequestStats {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  /** Requests by latency: `upTo` ms (the last bucket has no bound). */
  latency: { upTo: number | null; count: number }[];
  /** Requests started in each interval of `bucketSeconds`, from the first one. */
  overTime: { bucketSeconds: number; counts: number[] };
}

/** One LLM request as telemetry recorded it (a `dgt.llm_call` span with its payloads). */
export interface PromptCall {
  spanId: string;
  runId: string;
  startTime: string;
  durationMs: number | null;
  provider: string;
  model: string;
  status: string;
  promptTokens: number | null;
  completionTokens: number | null;
  /** The chat messages (or the completion prompt) sent, as recorded. */
  input: unknown;
  /** The answer(s) received, as recorded. */
  completion: unknown;
  /** The recorded payload was cut to the telemetry's size limit. */
  truncated: boolean;
}

/** The requests telemetry recorded for one record (matched by the record's text). */
export interface RecordPrompts {
  /** Whether the studio has a `traces.jsonl` to look in. */
  telemetry: boolean;
  /** Requests of the record's task whose prompts were recorded (0: payloads were not recorded). */
  payloads: number;
  /** Requests whose answer holds the record's text: what it was made from. */
  produced: PromptCall[];
  /** Requests whose prompt holds the record's text (and whose answer does not). */
  usedIn: PromptCall[];
}
