/**
 * Crash safety with real processes: a child appends in a loop and is SIGKILLed at a random
 * moment; then the store must hold every acknowledged row, no partial row and no duplicate, and a
 * new child must continue from there. Finally the store is truncated to the acknowledged count.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DefaultDatastore } from "../../src/stores/default/index.js";

const CHILD = join(import.meta.dirname, "crash-child.ts");
// `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that SIGKILL
// would not reach.
const ROOT = join(import.meta.dirname, "../..");
const TRIALS = 4;

function quiet(): Parameters<DefaultDatastore["prepare"]>[0] {
  const l = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return { logger: l };
}

/** Run the child until `delayMs` after it is ready, kill it, return the last acknowledged count. */
function runAndKill(
  format: string,
  dir: string,
  delayMs: number,
): Promise<{ acked: number; start: number }> {
  const ackFile = join(dir, "acks.txt");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, format, dir, ackFile], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let start = -1;
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const ready = /^ready (\d+)$/m.exec(out);
      if (ready && start < 0) {
        start = Number(ready[1]);
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL")
        return reject(new Error(`child exited without being killed: ${err}`));
      const acks = existsSync(ackFile)
        ? readFileSync(ackFile, "utf8").split("\n").filter(Boolean)
        : [];
      resolve({ acked: acks.length ? Number(acks.at(-1)) : start, start });
    });
  });
}

function check(rows: Record<string, unknown>[]): void {
  rows.forEach((r, i) => {
    expect(r.seq).toBe(i);
    expect(String(r.text).length).toBe(r.check);
    expect(r.tags).toEqual([String(i), "t"]);
  });
}

describe.concurrent("crash safety", () => {
  it.each(["jsonl", "parquet", "csv"])(
    `%s output keeps every acknowledged row and no partial one across ${TRIALS} SIGKILLs`,
    async (format) => {
      const dir = mkdtempSync(join(tmpdir(), `digit-crash-${format}-`));
      const store = () => {
        const s = new DefaultDatastore({
          type: "default",
          store_name: "crash/data",
          output_dir: dir,
          output_data_format: format,
        });
        s.prepare(quiet());
        return s;
      };
      let previous = 0;
      let acked = 0;
      for (let t = 0; t < TRIALS; t++) {
        const run = await runAndKill(format, dir, 30 + Math.floor(Math.random() * 150));
        // The new child saw exactly the rows the previous trial left.
        expect(run.start).toBe(previous);
        acked = run.acked;
        const rows = await store().readAll();
        check(rows);
        expect(rows.length).toBeGreaterThanOrEqual(acked);
        expect(rows.length).toBeLessThanOrEqual(acked + 7); // at most the one append in flight
        previous = rows.length;
      }
      // Resume as the engine does: drop rows past the last commit, then go on appending.
      await store().truncate(acked);
      const s = store();
      expect((await s.readAll()).length).toBe(acked);
      await s.append([{ seq: acked, text: "end", tags: [String(acked), "t"], check: 3 }]);
      check(await store().readAll());
    },
    60_000,
  );
});
