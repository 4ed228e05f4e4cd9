/**
 * What the studio server answers, as types shared by the server (src/studio) and its page
 * (studio-app). Nothing here may import: the page is type-checked without Node's types.
 *
 * @example
 * import type { RunInfo } from "./api-types.js";
 * const runs: RunInfo[] = [];
 */

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
