import type {
  FieldStats,
  ProgressLine,
  PromptCall,
  RecordPage,
  RecordPrompts,
  RequestStats,
  RunInfo,
  TaskFile,
  TaskInfo,
  TaskProgress,
  Timeline,
} from "../../src/studio/api-types.js";

export type { FieldStats, ProgressLine, PromptCall, RecordPage, RecordPrompts, RequestStats, RunInfo, TaskFile, TaskInfo, TaskProgress, Timeline };

export interface CompareSide {
  task: TaskInfo;
  file?: string;
  records: number;
  rejects: Record<string, number>;
  sampled: number;
  fields: FieldStats[];
}

async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const res = await fetch(`${path}?${q}`);
  const body = (await res.json()) as T & { error?: { message: string; hint?: string } };
  if (!res.ok) throw new Error(body.error ? `${body.error.message}${body.error.hint ? ` (${body.error.hint})` : ""}` : res.statusText);
  return body;
}

/** The studio server's endpoints. */
export const api = {
  runs: () => get<{ root: string; runs: RunInfo[] }>("api/runs"),
  records: (file: string, offset: number, limit: number, q?: string, sort?: string, desc?: boolean) =>
    get<RecordPage>("api/records", { file, offset, limit, q, sort, desc: desc ? 1 : undefined }),
  rejects: (file: string) => get<{ total: number; reasons: { reason: string; count: number }[] }>("api/rejects", { file }),
  requests: (run: string, task?: string) => get<{ runId: string | null; stats: RequestStats | null }>("api/requests", { run, task }),
  timeline: (task: string) => get<Timeline>("api/timeline", { task }),
  prompts: (file: string, index: number) => get<RecordPrompts>("api/prompts", { file, index }),
  compare: (a: string, b: string) => get<{ a: CompareSide; b: CompareSide }>("api/compare", { a, b }),
};
