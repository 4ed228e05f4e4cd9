import { open, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import type { ProgressLine, Timeline } from "./api-types.js";

export type { ProgressLine, Timeline };

const MAX_POINTS = 400;

function isProgressLine(v: unknown): v is ProgressLine {
  if (v === null || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.time === "string" && typeof o.run_id === "string" && typeof o.records === "number"
  );
}

/**
 * A task's `progress.jsonl`, followed as a run appends to it: each `refresh()` reads only the
 * bytes added since the last one (a file that shrank, e.g. after `--restart`, is read again from
 * the start); an unfinished last line waits for its newline.
 *
 * @example
 * const t = new ProgressTimeline("output/qa/progress.jsonl");
 * const { points } = await t.timeline();
 */
export class ProgressTimeline {
  private offset = 0;
  private rest = "";
  private decoder = new StringDecoder("utf8");
  private lines: ProgressLine[] = [];

  /** Reads one at a time: two at once would take the same lines twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Read what was appended; the lines so far. */
  refresh(): Promise<readonly ProgressLine[]> {
    const next = this.queue.then(() => this.catchUp());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async catchUp(): Promise<readonly ProgressLine[]> {
    const size = (await stat(this.path).catch(() => undefined))?.size ?? 0;
    if (size < this.offset) {
      this.offset = 0;
      this.rest = "";
      this.decoder = new StringDecoder("utf8");
      this.lines = [];
    }
    if (size === this.offset) return this.lines;
    const fh = await open(this.path, "r");
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      const text = this.rest + this.decoder.write(buf.subarray(0, bytesRead));
      const parts = text.split("\n");
      this.rest = parts.pop() ?? "";
      for (const part of parts) {
        if (!part.trim()) continue;
        try {
          const v: unknown = JSON.parse(part);
          if (isProgressLine(v)) this.lines.push(v);
        } catch {
          // a line that is not JSON (a hand edit) is left out
        }
      }
    } finally {
      await fh.close();
    }
    return this.lines;
  }

  /**
   * The latest run's lines (at most 400, evenly thinned, the last always kept), the last line,
   * and how many runs wrote to the file.
   */
  async timeline(): Promise<Timeline> {
    const lines = await this.refresh();
    const latest = lines.at(-1);
    if (!latest) return { runId: null, runs: 0, latest: null, points: [] };
    const own = lines.filter((l) => l.run_id === latest.run_id);
    const step = Math.ceil(own.length / MAX_POINTS);
    const points = step > 1 ? own.filter((_, i) => i % step === 0 || i === own.length - 1) : own;
    return {
      runId: latest.run_id,
      runs: new Set(lines.map((l) => l.run_id)).size,
      latest,
      points,
    };
  }
}
