import { readdir, readFile, stat } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import { extensionOf } from "../stores/formats/index.js";
import type { RunInfo, TaskFile, TaskInfo } from "./api-types.js";

export type { RunInfo, TaskFile, TaskInfo };

const RECORD_EXTENSIONS = [".jsonl", ".csv", ".parquet", ".json"];
const MAX_DEPTH = 8;

/** `a/b` form of a path below `root`. */
export function relativeId(root: string, path: string): string {
  return relative(root, path).split(sep).join("/");
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(file, "utf8"));
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The last complete JSON line of a small JSONL file (task_results.jsonl). */
async function lastJsonLine(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(file, "utf8").catch(() => "");
  const lines = text.split("\n").filter((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const v: unknown = JSON.parse(lines[i] ?? "");
      if (v !== null && typeof v === "object") return v as Record<string, unknown>;
    } catch {
      // an unfinished last line of a live run: use the one before
    }
  }
  return undefined;
}

function roleOf(name: string): { role: TaskFile["role"]; label: string } | undefined {
  const ext = extensionOf(name);
  if (!RECORD_EXTENSIONS.includes(ext)) return undefined;
  const stem = name.slice(0, name.length - ext.length);
  if (stem === "final_data") return { role: "final_data", label: "final_data" };
  if (stem === "data") return { role: "data", label: "data" };
  if (stem === "formatted_data") return { role: "formatted", label: "formatted_data" };
  const epoch = /^postproc_data_(\d+)$/.exec(stem);
  if (epoch) return { role: "postproc", label: `epoch ${epoch[1]}` };
  return undefined;
}

const ROLE_ORDER: Record<TaskFile["role"], number> = {
  final_data: 0,
  data: 1,
  postproc: 2,
  formatted: 3,
  reject: 4,
};

async function taskFiles(root: string, dir: string, names: readonly string[]): Promise<TaskFile[]> {
  const files: TaskFile[] = [];
  for (const name of names) {
    const r = roleOf(name);
    if (!r) continue;
    const st = await stat(join(dir, name)).catch(() => undefined);
    if (st)
      files.push({
        path: relativeId(root, join(dir, name)),
        ...r,
        bytes: st.isFile() ? st.size : 0,
      });
  }
  const blocks = join(dir, "blocks");
  for (const name of await readdir(blocks).catch(() => [] as string[])) {
    const ext = extensionOf(name);
    if (!RECORD_EXTENSIONS.includes(ext)) continue;
    const st = await stat(join(blocks, name)).catch(() => undefined);
    if (st)
      files.push({
        path: relativeId(root, join(blocks, name)),
        role: "reject",
        label: name.slice(0, -ext.length),
        bytes: st.isFile() ? st.size : 0,
      });
  }
  return files.sort(
    (a, b) =>
      ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
      a.label.localeCompare(b.label, "en", { numeric: true }),
  );
}

function summaryEntry(
  runSummary: Record<string, unknown> | undefined,
  dir: string,
  name: string,
): Record<string, unknown> | undefined {
  const tasks = Array.isArray(runSummary?.tasks) ? (runSummary.tasks as unknown[]) : [];
  const entries = tasks.filter(
    (t): t is Record<string, unknown> => t !== null && typeof t === "object",
  );
  return (
    entries.find((t) => typeof t.output === "string" && resolve(t.output) === dir) ??
    entries.find((t) => t.task === name)
  );
}

/**
 * Every run and task below an output folder: a task is a folder holding `task_results.jsonl` or
 * a `data`/`final_data` file; a run is the nearest folder above it holding `run_summary.json`
 * (the output folder itself when none does). Hidden folders, `blocks/` and symbolic links are
 * not entered. Reads only small files (summaries, task results) and directory listings.
 *
 * @example
 * const runs = await scanOutputFolder("output");
 * console.log(runs.flatMap((r) => r.tasks.map((t) => `${t.name}: ${t.status}`)));
 */
export async function scanOutputFolder(root: string): Promise<RunInfo[]> {
  const base = resolve(root);
  const runs = new Map<string, RunInfo>();
  const summaries = new Map<string, Record<string, unknown> | undefined>();

  async function visit(dir: string, depth: number, run: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const names = entries
      .filter((e) => e.isFile() || (e.isDirectory() && e.name.endsWith(".parquet")))
      .map((e) => e.name);
    let runId = run;
    if (names.includes("run_summary.json")) {
      runId = relativeId(base, dir);
      summaries.set(runId, await readJson(join(dir, "run_summary.json")));
    }
    const isTask =
      names.includes("task_results.jsonl") ||
      names.some((n) => ["final_data", "data"].includes(roleOf(n)?.role ?? ""));
    if (isTask && dir !== base) {
      const runDir = join(base, runId);
      const name = relativeId(runDir, dir);
      const results = await lastJsonLine(join(dir, "task_results.jsonl"));
      const summary = summaryEntry(summaries.get(runId), dir, name);
      const metrics = (results?.metrics ?? {}) as Record<string, unknown>;
      const status = String(results?.status ?? summary?.status ?? "unknown");
      const info: TaskInfo = {
        id: relativeId(base, dir),
        run: runId,
        name,
        status,
        metrics,
        summary,
        files: await taskFiles(base, dir, names),
      };
      let r = runs.get(runId);
      if (!r) runs.set(runId, (r = { id: runId, summary: summaries.get(runId), tasks: [] }));
      r.tasks.push(info);
    }
    if (depth >= MAX_DEPTH) return;
    const subdirs = entries.filter(
      (e) =>
        e.isDirectory() &&
        !e.name.startsWith(".") &&
        e.name !== "blocks" &&
        !e.name.endsWith(".parquet"),
    );
    for (const e of subdirs.sort((a, b) => a.name.localeCompare(b.name)))
      await visit(join(dir, e.name), depth + 1, runId);
  }

  await visit(base, 0, "");
  for (const [id, summary] of summaries)
    if (!runs.has(id)) runs.set(id, { id, summary, tasks: [] });
  return [...runs.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/** The name shown for a run: its folder name, or "." for the output folder itself. */
export function runLabel(id: string): string {
  return id === "" ? "." : basename(id);
}
