import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";
import { isDigitError, UsageError } from "../errors.js";
import { confinedRecordFile } from "./confine.js";
import { fieldStats } from "./field-stats.js";
import { LiveFeed } from "./live-feed.js";
import { scanOutputFolder, type TaskInfo } from "./output-folder.js";
import { ProgressTimeline } from "./progress-timeline.js";
import { RecordFile } from "./record-file.js";
import { recordPrompts } from "./record-prompts.js";
import { rejectReasons } from "./rejects.js";
import { RequestLog } from "./request-stats.js";

/** How `startStudio` serves an output folder. */
export interface StudioOptions {
  /** The output folder shown (read-only). */
  root: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The built front end (index.html and assets/). */
  assetsDir: string;
  /** The telemetry folder holding `traces.jsonl` (for request charts); none: no charts. */
  telemetryDir?: string | undefined;
  /** How often the live feed looks at the files, ms. */
  pollMs?: number | undefined;
}

/** A running studio server. */
export interface Studio {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_PAGE = 500;
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(text);
}

function statusOf(code: string): number {
  if (code === "DIGIT_OUTPUT_OUTSIDE") return 403;
  if (code === "DIGIT_FILE_NOT_FOUND") return 404;
  return 400;
}

function intParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw))
    throw new UsageError(`'${name}' must be a whole number, not '${raw}'`, {
      hint: `e.g. ${name}=${fallback}`,
    });
  return Math.min(Number(raw), max);
}

/**
 * Serve `digit studio`: JSON endpoints over an output folder, server-sent events while a run
 * writes to it, and the bundled front end. Listens on 127.0.0.1 only and never writes to the
 * folder. Every file a request names is confined to the folder (see `confinedRecordFile`).
 *
 * @example
 * const studio = await startStudio({ root: "output", port: 0, assetsDir: "dist/studio" });
 * console.log(studio.url);
 * await studio.close();
 */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const root = resolve(options.root);
  const files = new Map<string, RecordFile>();
  const recordFile = async (requested: string | null): Promise<RecordFile> => {
    const path = await confinedRecordFile(root, requested ?? "");
    let f = files.get(path);
    if (!f) files.set(path, (f = new RecordFile(path)));
    return f;
  };
  const findTask = async (id: string | null): Promise<TaskInfo> => {
    const tasks = (await scanOutputFolder(root)).flatMap((r) => r.tasks);
    const task = tasks.find((t) => t.id === id);
    if (!task)
      throw new UsageError(`no task '${id ?? ""}' in the output folder`, {
        hint: `tasks: ${tasks.map((t) => t.id).join(", ") || "none"}`,
      });
    return task;
  };
  const timelines = new Map<string, ProgressTimeline>();
  /** A task's progress.jsonl, confined like a record file; undefined while it has none. */
  const timelineOf = async (task: TaskInfo): Promise<ProgressTimeline | undefined> => {
    const path = await confinedRecordFile(root, `${task.id}/progress.jsonl`).catch(() => undefined);
    if (!path) return undefined;
    let t = timelines.get(path);
    if (!t) timelines.set(path, (t = new ProgressTimeline(path)));
    return t;
  };
  const requestLog = options.telemetryDir
    ? new RequestLog(join(options.telemetryDir, "traces.jsonl"))
    : undefined;
  const feed = new LiveFeed(root, options.pollMs ?? 500, recordFile, timelineOf);

  async function api(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    switch (url.pathname) {
      case "/api/runs":
        return send(res, 200, { root, runs: await scanOutputFolder(root) });
      case "/api/records": {
        const file = await recordFile(url.searchParams.get("file"));
        const page = await file.page({
          offset: intParam(url, "offset", 0, Number.MAX_SAFE_INTEGER),
          limit: intParam(url, "limit", 50, MAX_PAGE),
          q: url.searchParams.get("q") ?? undefined,
          sort: url.searchParams.get("sort") ?? undefined,
          desc: url.searchParams.get("desc") === "1",
        });
        return send(res, 200, page);
      }
      case "/api/rejects":
        return send(res, 200, await rejectReasons(await recordFile(url.searchParams.get("file"))));
      case "/api/compare": {
        const sides = [];
        for (const id of [url.searchParams.get("a"), url.searchParams.get("b")]) {
          const task = await findTask(id);
          const main =
            task.files.find((f) => f.role === "final_data") ??
            task.files.find((f) => f.role === "data");
          const rejects: Record<string, number> = {};
          for (const f of task.files.filter((x) => x.role === "reject")) {
            // A reject file that cannot be shown (a link out of the folder) is left out.
            const count = await recordFile(f.path).then(
              (r) => r.count(),
              () => undefined,
            );
            if (count !== undefined) rejects[f.label] = count;
          }
          const records = main ? await (await recordFile(main.path)).count() : 0;
          const stats = main
            ? await fieldStats((await recordFile(main.path)).records())
            : { sampled: 0, fields: [] };
          sides.push({ task, file: main?.path, records, rejects, ...stats });
        }
        return send(res, 200, { a: sides[0], b: sides[1] });
      }
      case "/api/requests": {
        // The run's id: the task's progress.jsonl names the run writing it now (a resumed task's
        // run_summary.json is the previous run's until this one ends), else the run summary.
        const taskId = url.searchParams.get("task");
        const timeline = taskId
          ? await (await timelineOf(await findTask(taskId)))?.timeline()
          : undefined;
        const id = url.searchParams.get("run") ?? "";
        const run = (await scanOutputFolder(root)).find((r) => r.id === id);
        const runId =
          timeline?.runId ??
          (typeof run?.summary?.run_id === "string" ? run.summary.run_id : undefined);
        if (!runId || !requestLog) return send(res, 200, { runId: null, stats: null });
        return send(res, 200, { runId, stats: await requestLog.stats(runId) });
      }
      case "/api/timeline": {
        const timeline = await timelineOf(await findTask(url.searchParams.get("task")));
        return send(
          res,
          200,
          timeline ? await timeline.timeline() : { runId: null, runs: 0, latest: null, points: [] },
        );
      }
      case "/api/prompts": {
        const file = await recordFile(url.searchParams.get("file"));
        const index = intParam(url, "index", 0, Number.MAX_SAFE_INTEGER);
        const row = (await file.page({ offset: index, limit: 1 })).rows[0];
        if (!row)
          throw new UsageError(`no record ${index} in ${url.searchParams.get("file") ?? ""}`, {
            hint: "give the index of a record of the file (from 0)",
          });
        // The record's task: its own task_name, else the task whose folder holds the file.
        const own = (row.record as { task_name?: unknown } | null)?.task_name;
        const owner = (await scanOutputFolder(root))
          .flatMap((r) => r.tasks)
          .find((t) => t.files.some((f) => f.path === url.searchParams.get("file")));
        const taskName = typeof own === "string" ? own : (owner?.name ?? "");
        if (!options.telemetryDir)
          return send(res, 200, { telemetry: false, payloads: 0, produced: [], usedIn: [] });
        return send(
          res,
          200,
          await recordPrompts(join(options.telemetryDir, "traces.jsonl"), taskName, row.record),
        );
      }
      case "/api/events":
        return feed.attach(req, res);
      default:
        return send(res, 404, {
          error: { code: "DIGIT_NOT_FOUND", message: `no endpoint ${url.pathname}` },
        });
    }
  }

  async function asset(url: URL, res: ServerResponse): Promise<void> {
    const base = resolve(options.assetsDir);
    const rel =
      url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname).replace(/^\/+/, "");
    const path = resolve(base, rel);
    const st = path.startsWith(`${base}/`) ? await stat(path).catch(() => undefined) : undefined;
    if (!st?.isFile()) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(
        rel === "index.html"
          ? "the studio front end is not built: run `npm run build`"
          : "not found",
      );
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "content-length": st.size,
    });
    createReadStream(path).pipe(res);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, {
        error: { code: "DIGIT_READ_ONLY", message: "the studio is read-only: GET only" },
      });
      return;
    }
    const handle = url.pathname.startsWith("/api/") ? api(url, req, res) : asset(url, res);
    handle.catch((e: unknown) => {
      if (res.headersSent) return void res.end();
      if (isDigitError(e))
        send(res, statusOf(e.code), { error: { code: e.code, message: e.message, hint: e.hint } });
      else
        send(res, 500, {
          error: { code: "DIGIT_INTERNAL", message: e instanceof Error ? e.message : String(e) },
        });
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: async () => {
      feed.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** Where the built front end lies inside the package. */
export function bundledAssets(packageRoot: string): string {
  return join(packageRoot, "dist", "studio");
}
