/** A record file of a task (see src/studio/output-folder.ts). */
export interface TaskFile {
  path: string;
  role: "final_data" | "data" | "postproc" | "reject" | "formatted";
  label: string;
  bytes: number;
}

export interface TaskInfo {
  id: string;
  run: string;
  name: string;
  status: string;
  metrics: Record<string, unknown>;
  summary: Record<string, unknown> | undefined;
  files: TaskFile[];
}

export interface RunInfo {
  id: string;
  summary: Record<string, unknown> | undefined;
  tasks: TaskInfo[];
}

export interface RecordPage {
  total: number;
  offset: number;
  rows: { index: number; record: unknown }[];
  columns: string[];
}

export interface FieldStats {
  field: string;
  present: number;
  meanLength?: number;
  mean?: number;
  top: { value: string; count: number }[];
}

export interface CompareSide {
  task: TaskInfo;
  file?: string;
  records: number;
  rejects: Record<string, number>;
  sampled: number;
  fields: FieldStats[];
}

export interface TaskProgress {
  task: TaskInfo;
  records: number;
  rate: number;
  at: number;
}

async function get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const res = await fetch(`${path}?${q}`);
  const body = (await res.json()) as T & { error?: { message: string; hint?: string } };
  if (!res.ok) throw new Error(body.error ? `${body.error.message}${body.error.hint ? ` (${body.error.hint})` : ""}` : res.statusText);
  return body;
}

/** A run's LLM requests from telemetry (see src/studio/request-stats.ts). */
export interface RequestStats {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  latency: { upTo: number | null; count: number }[];
  overTime: { bucketSeconds: number; counts: number[] };
}

/** The studio server's endpoints. */
export const api = {
  runs: () => get<{ root: string; runs: RunInfo[] }>("api/runs"),
  records: (file: string, offset: number, limit: number, q?: string, sort?: string, desc?: boolean) =>
    get<RecordPage>("api/records", { file, offset, limit, q, sort, desc: desc ? 1 : undefined }),
  rejects: (file: string) => get<{ total: number; reasons: { reason: string; count: number }[] }>("api/rejects", { file }),
  requests: (run: string) => get<{ runId: string | null; stats: RequestStats | null }>("api/requests", { run }),
  compare: (a: string, b: string) => get<{ a: CompareSide; b: CompareSide }>("api/compare", { a, b }),
};
