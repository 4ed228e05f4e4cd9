import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { isDigitError } from "../../src/errors.js";
import { ConsoleLogger, type LogLevel } from "../../src/telemetry/logger.js";
import { PLUGINS, readJsonl, runFixture, task, tempDir } from "../engine/helpers.js";

/**
 * A full disk, simulated below digit: while `disk.full` says so for a path, `appendFile` (by path
 * or on a file opened for appending) and opening a file for writing fail with ENOSPC as the
 * kernel reports it (no path on the error).
 */
const disk = vi.hoisted(() => ({
  full: undefined as undefined | ((path: string, op: "append" | "open") => boolean),
}));
vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>();
  const enospc = () =>
    Object.assign(new Error("ENOSPC: no space left on device, write"), {
      code: "ENOSPC",
      errno: -28,
      syscall: "write",
    });
  const appendFile: typeof real.appendFile = async (path, data, options) => {
    if (disk.full?.(String(path), "append")) throw enospc();
    return real.appendFile(path, data, options);
  };
  const open = (async (path: string, flags?: string, mode?: number) => {
    if (flags !== undefined && flags !== "r" && disk.full?.(String(path), "open")) throw enospc();
    const handle = await real.open(path, flags, mode);
    if (flags === "a") {
      const append = handle.appendFile.bind(handle);
      handle.appendFile = (async (
        data: Parameters<typeof append>[0],
        options?: Parameters<typeof append>[1],
      ) => {
        if (disk.full?.(String(path), "append")) throw enospc();
        return append(data, options);
      }) as typeof handle.appendFile;
    }
    return handle;
  }) as typeof real.open;
  return { ...real, default: { ...real, appendFile, open }, appendFile, open };
});
afterEach(() => {
  disk.full = undefined;
});

/** A logger that records every message (the console stays quiet). */
function recordingLogger(): { logger: ConsoleLogger; messages: string[] } {
  const messages: string[] = [];
  const logger = new ConsoleLogger("silent", {}, [
    (level: LogLevel, message: string) => messages.push(`${level}: ${message}`),
  ]);
  return { logger, messages };
}

/** Three records as DiGiT writes them (`json.dumps`: spaces after separators, no `id`). */
const DIGIT_RECORDS = [1, 2, 3].map(
  (i) => `{"task_name": "test/gen_b", "is_seed": false, "text": "made by DiGiT ${i}"}`,
);

function digitFolder(out: string, state: string | undefined, extra = ""): string {
  const dir = join(out, "test/gen_b");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "data.jsonl"), `${DIGIT_RECORDS.join("\n")}\n${extra}`);
  if (state !== undefined) writeFileSync(join(dir, "dataloader_state.jsonl"), state);
  return dir;
}

describe("resume never destroys records it did not write", () => {
  it("adopts the records of a folder that has data.jsonl but no dataloader_state.jsonl", async () => {
    const out = tempDir("digit-sec-resume-");
    const dir = digitFolder(out, undefined);
    const result = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    expect(result.outcomes[0]!.status).toBe("completed");
    const data = readJsonl(join(dir, "data.jsonl"));
    expect(data.slice(0, 3).map((r) => r.text)).toEqual([
      "made by DiGiT 1",
      "made by DiGiT 2",
      "made by DiGiT 3",
    ]);
    const final = readJsonl(join(dir, "final_data.jsonl"));
    expect(final).toHaveLength(7);
    expect(final.slice(0, 3).map((r) => r.text)).toEqual([
      "made by DiGiT 1",
      "made by DiGiT 2",
      "made by DiGiT 3",
    ]);
    // Only the remainder was generated.
    expect(result.metrics.task("test/gen_b").produced).toBeLessThan(7);
  });

  it("adopts the records of a DiGiT folder (checkpoint lines without data_rows) and continues from DiGiT's seed position", async () => {
    const out = tempDir("digit-sec-resume-");
    const dir = digitFolder(out, '{"iter_index": 0, "row_index": 1}\n');
    const { logger, messages } = recordingLogger();
    const result = await runFixture({ taskPaths: [task("gen_b")], outputDir: out, logger });
    expect(result.outcomes[0]!.status).toBe("completed");
    expect(messages.join("\n")).toMatch(/adopt.*3 records/i);
    const final = readJsonl(join(dir, "final_data.jsonl"));
    expect(final.filter((r) => String(r.text).startsWith("made by DiGiT"))).toHaveLength(3);
    expect(final).toHaveLength(7);
    // The folder is digit's now: a second run resumes from digit's own checkpoint and adds nothing.
    const again = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    expect(again.metrics.task("test/gen_b").requests).toBe(0);
    expect(readJsonl(join(dir, "final_data.jsonl"))).toEqual(final);
  });

  it("adopts the records DiGiT kept only in its latest postproc_data_N, and sets DiGiT's snapshots aside instead of overwriting them", async () => {
    const out = tempDir("digit-sec-resume-");
    const dir = digitFolder(out, '{"iter_index": 0, "row_index": 1}\n');
    const snapshot = `${DIGIT_RECORDS[0]}\n{"task_name": "test/gen_b", "is_seed": false, "text": "made by DiGiT in epoch 2"}\n`;
    writeFileSync(join(dir, "postproc_data_1.jsonl"), snapshot);
    const result = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    expect(result.outcomes[0]!.status).toBe("completed");
    const final = readJsonl(join(dir, "final_data.jsonl"));
    expect(final.map((r) => r.text)).toContain("made by DiGiT in epoch 2");
    expect(final.filter((r) => String(r.text).startsWith("made by DiGiT"))).toHaveLength(4);
    const aside = readdirSync(dir).filter((f) => f.startsWith("postproc_data_1.jsonl.dropped-"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), "utf8")).toBe(snapshot);
  });

  it("refuses to resume a transformation from a DiGiT checkpoint, naming --restart, and leaves the folder as it was", async () => {
    const out = tempDir("digit-sec-resume-");
    const dir = join(out, "test/transform");
    mkdirSync(dir, { recursive: true });
    const data = '{"task_name": "test/transform", "text": "one", "answer": "by DiGiT"}\n';
    writeFileSync(join(dir, "data.jsonl"), data);
    writeFileSync(join(dir, "dataloader_state.jsonl"), '{"iter_index": 0, "row_index": 3}\n');
    const err = await runFixture({ taskPaths: [task("transform")], outputDir: out }).then(
      (r) => r.error,
      (e: unknown) => e,
    );
    expect(isDigitError(err)).toBe(true);
    expect((err as Error).message).toContain(dir);
    expect((err as { hint?: string }).hint).toContain("--restart");
    expect(readFileSync(join(dir, "data.jsonl"), "utf8")).toBe(data);
    expect(existsSync(join(dir, "task_results.jsonl"))).toBe(false);
  });

  it("refuses, rather than clears, a transformation folder that DiGiT completed", async () => {
    const out = tempDir("digit-sec-resume-");
    const dir = join(out, "test/transform");
    mkdirSync(dir, { recursive: true });
    const data = '{"task_name": "test/transform", "text": "one", "answer": "by DiGiT"}\n';
    writeFileSync(join(dir, "data.jsonl"), data);
    writeFileSync(join(dir, "final_data.jsonl"), data);
    writeFileSync(join(dir, "dataloader_state.jsonl"), '{"iter_index": 0, "row_index": 7}\n');
    writeFileSync(
      join(dir, "task_results.jsonl"),
      '{"PID": 1, "status": "completed", "start_time": 1, "end_time": 2}\n',
    );
    const err = await runFixture({ taskPaths: [task("transform")], outputDir: out }).then(
      (r) => r.error,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe("DIGIT_RESUME_REFUSED");
    expect(readFileSync(join(dir, "data.jsonl"), "utf8")).toBe(data);
    expect(readFileSync(join(dir, "final_data.jsonl"), "utf8")).toBe(data);
  });

  it("moves records written after the last checkpoint, and a torn last line, to a backup file instead of deleting them", async () => {
    const out = tempDir("digit-sec-resume-");
    const first = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: out,
      numOutputsToGenerate: 3,
    });
    expect(first.outcomes[0]!.status).toBe("completed");
    const dir = join(out, "test/gen_b");
    const committed = readFileSync(join(dir, "data.jsonl"), "utf8");
    // An interrupted batch: one whole record and half of another, after the last checkpoint.
    const tail =
      '{"task_name":"test/gen_b","is_seed":false,"text":"uncommitted","id":"0123456789abcdef"}\n{"task_name":"test/gen_b","is_se';
    writeFileSync(join(dir, "data.jsonl"), committed + tail);
    const { logger, messages } = recordingLogger();
    const result = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: out,
      numOutputsToGenerate: 5,
      logger,
    });
    expect(result.outcomes[0]!.status).toBe("completed");
    const backups = readdirSync(dir).filter((f) => f.startsWith("data.jsonl.dropped-"));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0]!), "utf8")).toBe(tail);
    expect(messages.join("\n")).toContain(backups[0]!);
    expect(readFileSync(join(dir, "data.jsonl"), "utf8").startsWith(committed)).toBe(true);
    expect(readJsonl(join(dir, "data.jsonl")).some((r) => r.text === "uncommitted")).toBe(false);
  });
});

describe("temporaries left by a crash", () => {
  it("are removed when the task folder is opened if their process is gone or they predate the run", async () => {
    const out = tempDir("digit-sec-resume-");
    const dir = join(out, "test/gen_b");
    mkdirSync(join(dir, "blocks"), { recursive: true });
    const gone = spawnSync(process.execPath, ["-e", ""]).pid!; // a process that has exited
    const soon = new Date(Date.now() + 60_000);
    const deadWriter = join(dir, `data.jsonl.tmp-${gone}`);
    const oldFile = join(dir, `final_data.jsonl.tmp-${process.pid}`);
    const liveAndNew = join(dir, `blocks/dedup.csv.tmp-${process.pid}-spool.jsonl`);
    const notOurs = join(dir, "notes.tmp-draft.txt");
    for (const f of [deadWriter, oldFile, liveAndNew, notOurs]) writeFileSync(f, "partial");
    utimesSync(deadWriter, soon, soon);
    utimesSync(liveAndNew, soon, soon);
    const result = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    expect(result.outcomes[0]!.status).toBe("completed");
    expect(existsSync(deadWriter)).toBe(false);
    expect(existsSync(oldFile)).toBe(false);
    expect(existsSync(liveAndNew)).toBe(true);
    expect(existsSync(notOurs)).toBe(true);
  });
});

describe("a full disk", () => {
  it("mid-run is a user-facing error naming the folder, and the task's status ends 'errored'", async () => {
    const out = tempDir("digit-sec-enospc-");
    const dir = join(out, "test/gen_b");
    let appends = 0;
    disk.full = (path, op) => op === "append" && path.endsWith("data.jsonl") && ++appends > 1;
    const result = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: out,
      numOutputsToGenerate: 50,
    });
    const err = result.error as { code?: string; message: string; hint?: string };
    expect(isDigitError(err)).toBe(true);
    expect(err.code).toBe("DIGIT_OUTPUT_WRITE_FAILED");
    expect(err.message).toContain(dir);
    expect(err.message).toContain("ENOSPC");
    expect(err.hint).toContain("--output-dir");
    const statuses = readJsonl(join(dir, "task_results.jsonl")).map((r) => r.status);
    expect(statuses.at(-1)).toBe("errored");
    expect(result.outcomes).toHaveLength(1);
    expect(result.outcomes[0]!.final).toBeUndefined();
    expect(existsSync(join(dir, "final_data.jsonl"))).toBe(false);
    // What was committed before the disk filled is still there, and the next run resumes it.
    const committed = readJsonl(join(dir, "data.jsonl")).length;
    expect(committed).toBeGreaterThan(0);
    disk.full = undefined;
    const again = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: out,
      numOutputsToGenerate: 50,
    });
    expect(again.outcomes[0]!.status).toBe("completed");
    expect(readJsonl(join(dir, "final_data.jsonl"))).toHaveLength(50);
  });

  it("while writing final data leaves no task 'running' and no summary naming a file that does not exist", async () => {
    const base = tempDir("digit-sec-enospc-");
    const out = join(base, "out");
    const dir = join(out, "test/gen_b");
    disk.full = (path, op) => op === "open" && path.includes("final_data");
    const printed: string[] = [];
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(capture);
    const telemetryDir = process.env.DGT_TELEMETRY_DIR;
    process.env.DGT_TELEMETRY_DIR = join(base, "telemetry");
    let code: number | undefined;
    try {
      code = await runCommand([task("gen_b")], {
        pluginDir: [PLUGINS],
        outputDir: out,
        logFormat: "text",
      });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      if (telemetryDir === undefined) delete process.env.DGT_TELEMETRY_DIR;
      else process.env.DGT_TELEMETRY_DIR = telemetryDir;
    }
    const text = printed.join("");
    expect(code, text).toBe(1);
    expect(text).toContain("DIGIT_OUTPUT_WRITE_FAILED");
    expect(text).not.toMatch(/internal error|\n\s+at /);
    expect(existsSync(join(dir, "final_data.jsonl"))).toBe(false);
    expect(text).not.toContain("final_data");
    expect(readJsonl(join(dir, "task_results.jsonl")).at(-1)!.status).toBe("errored");
    const summary = JSON.parse(readFileSync(join(out, "run_summary.json"), "utf8")) as {
      tasks: { status: string; final_data: unknown }[];
    };
    expect(summary.tasks[0]).toMatchObject({ status: "errored", final_data: null });
  });
});
