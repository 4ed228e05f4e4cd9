/**
 * Hostile and broken inputs (issue 13): corrupt data files, special files, huge lines, bad numeric
 * CLI values. Each is met the way a user meets it: the real CLI as a child process.
 */
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeParquet } from "../../src/stores/formats/parquet/file.js";
import { digit, parseJsonl, ROOT, tempDir, type CliResult } from "../cli/helpers.js";

/** A project running the engine's echo_gen test builder (offline mock model) with `seedStore` as its seed datastore. */
function project(seedStore: string): string {
  const dir = tempDir("digit-inputs-");
  cpSync(join(ROOT, "test/fixtures/engine/plugins/echo_gen"), join(dir, "plugins/echo_gen"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "task.yaml"), `task_name: demo/gen\ntask_description: a task\ndata_builder: test/echo_gen\nseed_datastore:\n${seedStore}`);
  return dir;
}

/** The last status the task recorded in its task_results.jsonl. */
function lastStatus(dir: string): unknown {
  const file = join(dir, "output/demo/gen/task_results.jsonl");
  if (!existsSync(file)) return undefined;
  return parseJsonl(readFileSync(file, "utf8")).at(-1)?.status;
}

/** A user-facing error: one paragraph with the code, no stack trace, no "internal error". */
function expectUserError(r: CliResult, code: string): string {
  expect(r.stderr).toContain(`[${code}]`);
  expect(r.stderr).not.toMatch(/internal error/);
  expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  return r.stderr;
}

describe("a corrupt Parquet seed file", () => {
  it("is a DIGIT_DATA_FILE error naming the file and row group; the task ends errored, not running", async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ n: i, text: `seed number ${i}` }));
    const bytes = Buffer.from(encodeParquet(rows));
    // Scramble a few bytes of the first data pages (footer intact): the wasm decoder traps on it.
    let x = 1;
    for (let k = 0; k < 8; k++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      bytes[4 + (x % 200)] = (x >> 8) & 0xff;
    }
    const dir = project("  type: default\n  data_path: seeds.parquet\n");
    writeFileSync(join(dir, "seeds.parquet"), bytes);
    const r = await digit(["run", "task.yaml", "--num-outputs-to-generate", "5"], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const err = expectUserError(r, "DIGIT_DATA_FILE");
    expect(err).toMatch(/\(seeds\.parquet\)/);
    expect(err).toMatch(/row group 0/);
    expect(lastStatus(dir)).toBe("errored");
  }, 60_000);
});
