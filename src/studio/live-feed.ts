import type { IncomingMessage, ServerResponse } from "node:http";
import type { ProgressLine, TaskInfo, TaskProgress } from "./api-types.js";
import { scanOutputFolder } from "./output-folder.js";
import type { ProgressTimeline } from "./progress-timeline.js";
import type { RecordFile } from "./record-file.js";

export type { TaskProgress };

/** Requests finished per second between the last two lines of one run, if there are two. */
function requestRate(lines: readonly ProgressLine[]): number | null {
  const b = lines.at(-1);
  const a = lines.at(-2);
  if (!a || !b || a.run_id !== b.run_id) return null;
  const seconds = (Date.parse(b.time) - Date.parse(a.time)) / 1000;
  return seconds > 0 ? Math.max(0, (b.requests - a.requests) / seconds) : null;
}

/**
 * Server-sent events for a live run: polls the output folder's small files, the data files'
 * line counts and each task's `progress.jsonl` (JSONL: only the bytes appended since the last
 * look are read) and sends a `task` event for every task whose status, metrics, files or
 * progress changed. One poller serves every page and runs only while a page listens.
 *
 * @example
 * const feed = new LiveFeed("output", 500, open);
 * server.on("request", (req, res) => feed.attach(req, res));
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly last = new Map<
    string,
    { sig: string; records: number; at: number; progress: TaskProgress }
  >();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly root: string,
    private readonly pollMs: number,
    private readonly open: (path: string) => Promise<RecordFile>,
    private readonly timelineOf: (task: TaskInfo) => Promise<ProgressTimeline | undefined>,
  ) {}

  /** Start sending events to one page; they stop when it disconnects. */
  async attach(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(": digit studio live feed\n\n");
    this.clients.add(res);
    req.on("close", () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    if (this.timer === undefined) {
      await this.poll();
      this.timer = setInterval(() => void this.poll(), this.pollMs);
    }
    for (const { progress } of this.last.values())
      res.write(`event: task\ndata: ${JSON.stringify(progress)}\n\n`);
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stop polling and end every open event stream. */
  close(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const task of (await scanOutputFolder(this.root)).flatMap((r) => r.tasks)) {
        const main =
          task.files.find((f) => f.role === "data") ??
          task.files.find((f) => f.role === "final_data");
        const records = main ? await (await this.open(main.path)).count().catch(() => 0) : 0;
        const lines = (await (await this.timelineOf(task))?.refresh().catch(() => [])) ?? [];
        const latest = lines.at(-1) ?? null;
        const sig = JSON.stringify([
          task.status,
          task.metrics,
          task.files.map((f) => [f.path, f.bytes]),
          records,
          latest,
        ]);
        const before = this.last.get(task.id);
        if (before?.sig === sig) continue;
        const at = Date.now();
        const rate =
          before && at > before.at ? ((records - before.records) * 1000) / (at - before.at) : 0;
        const progress: TaskProgress = {
          task,
          records,
          rate: Math.max(0, rate),
          at,
          latest,
          requestRate: requestRate(lines),
        };
        this.last.set(task.id, { sig, records, at, progress });
        const event = `event: task\ndata: ${JSON.stringify(progress)}\n\n`;
        for (const c of this.clients) c.write(event);
      }
    } finally {
      this.busy = false;
    }
  }
}
