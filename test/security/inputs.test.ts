/**
 * Hostile and broken inputs (issue 13): corrupt data files, special files, huge lines, bad numeric
 * CLI values. Each is met the way a user meets it: the real CLI as a child process.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeParquet } from "../../src/stores/formats/parquet/file.js";
import { MAX_RECORD_BYTES, MAX_WHOLE_FILE_BYTES } from "../../src/stores/formats/types.js";
import {
  type CliResult,
  cliEnv,
  digit,
  MAIN,
  parseJsonl,
  ROOT,
  TSX,
  tempDir,
} from "../cli/helpers.js";
import { readJsonl, runFixture } from "../engine/helpers.js";

/** A project running the engine's echo_gen test builder (offline mock model) with `seedStore` as its seed datastore. */
function project(seedStore: string): string {
  const dir = tempDir("digit-inputs-");
  cpSync(join(ROOT, "test/fixtures/engine/plugins/echo_gen"), join(dir, "plugins/echo_gen"), {
    recursive: true,
  });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(
    join(dir, "task.yaml"),
    `task_name: demo/gen\ntask_description: a task\ndata_builder: test/echo_gen\nseed_datastore:\n${seedStore}`,
  );
  return dir;
}

/**
 * `digit <args>` like `digit()`, but killed if it has not ended after `guardMs`: a guard against a
 * hang (code null), not a timing assertion.
 */
function digitGuarded(args: readonly string[], cwd: string, guardMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [MAIN, ...args], {
      cwd,
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    const guard = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), guardMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
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
    // Seed files are read while planning: nothing was written.
    expect(existsSync(join(dir, "output"))).toBe(false);
    // A transformation's input is read as the run goes: the task ends errored, not running.
    writeFileSync(
      join(dir, "transform.yaml"),
      "task_name: demo/gen\ndata_builder: test/echo_transform\ndata:\n  type: default\n  data_path: seeds.parquet\n",
    );
    cpSync(
      join(ROOT, "test/fixtures/engine/plugins/echo_transform"),
      join(dir, "plugins/echo_transform"),
      { recursive: true },
    );
    const t = await digit(["run", "transform.yaml"], { cwd: dir });
    expect(t.code, t.stderr).toBe(1);
    expect(expectUserError(t, "DIGIT_DATA_FILE")).toMatch(/\(seeds\.parquet\)/);
    expect(lastStatus(dir)).toBe("errored");
  }, 60_000);
});

describe("data_path naming something that is not a regular file", () => {
  const seedStore = (path: string) => `  type: default\n  data_path: ${JSON.stringify(path)}\n`;

  it.each([
    ["/dev/null", "a character device"],
    ["seeds.jsonl (a FIFO)", "a FIFO"],
    ["*.jsonl matching a FIFO", "a FIFO"],
  ])(
    "%s is refused as %s, before the run reads anything",
    async (what, kind) => {
      const dir = project(
        seedStore(
          what === "/dev/null" ? "/dev/null" : what.startsWith("*") ? "in/*.jsonl" : "seeds.jsonl",
        ),
      );
      if (what.startsWith("*")) {
        mkdirSync(join(dir, "in"));
        writeFileSync(join(dir, "in/a.jsonl"), '{"text":"one"}\n');
      }
      if (what !== "/dev/null")
        execFileSync("mkfifo", [join(dir, what.startsWith("*") ? "in/b.jsonl" : "seeds.jsonl")]);
      // Opening a FIFO blocks until a writer comes: without the check the run hangs (killed by the guard).
      const r = await digitGuarded(["run", "task.yaml", "--num-outputs-to-generate", "3"], dir);
      expect(r.code, r.stderr).toBe(1);
      const err = expectUserError(r, "DIGIT_DATA_FILE");
      expect(err).toContain(kind);
      expect(err).toMatch(
        what === "/dev/null"
          ? /'\/dev\/null'/
          : what.startsWith("*")
            ? /b\.jsonl/
            : /'seeds\.jsonl'/,
      );
      expect(existsSync(join(dir, "output/demo/gen/data.jsonl"))).toBe(false);
    },
    60_000,
  );
});

describe("a data file read whole that is too big", () => {
  it("is refused before it is read (.json over 256 MiB), naming the file", async () => {
    const dir = project("  type: default\n  data_path: seeds.json\n");
    const file = join(dir, "seeds.json");
    truncateSync(openAndClose(file), MAX_WHOLE_FILE_BYTES + 1); // sparse: takes no disk space
    try {
      const r = await digit(["run", "task.yaml", "--num-outputs-to-generate", "3"], { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      const err = expectUserError(r, "DIGIT_DATA_FILE");
      expect(err).toMatch(/\.json files are read whole, up to 256 MiB \(seeds\.json\)/);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});

/** Create an empty file and return its path. */
function openAndClose(file: string): string {
  closeSync(openSync(file, "w"));
  return file;
}

describe("a JSONL seed file with one enormous line", () => {
  it("is refused once the line passes 64 MiB, naming file and line", async () => {
    expect(MAX_RECORD_BYTES).toBe(64 * 2 ** 20);
    const dir = project("  type: default\n  data_path: seeds.jsonl\n");
    const file = join(dir, "seeds.jsonl");
    // Line 2 holds one 80 MiB JSON value (valid JSON, so only the length cap refuses it).
    const fd = openSync(file, "w");
    try {
      writeSync(fd, '{"text":"first"}\n{"text":"');
      const block = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 80; i++) writeSync(fd, block);
      writeSync(fd, '"}\n{"text":"third"}\n');
    } finally {
      closeSync(fd);
    }
    try {
      const r = await digit(["run", "task.yaml", "--num-outputs-to-generate", "3"], { cwd: dir });
      expect(r.code, r.stderr).toBe(1);
      const err = expectUserError(r, "DIGIT_DATA_FILE");
      expect(err).toMatch(/line 2 is longer than 64 MiB/);
      expect(err).toMatch(/\(seeds\.jsonl:2\)/);
      expect(existsSync(join(dir, "output"))).toBe(false); // seed files are read while planning
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});

describe("numeric command-line options", () => {
  const dir = project("  type: default\n  data: [{ text: one }]\n");

  it.each([
    ["--num-outputs-to-generate", "abc", "0 or more"],
    ["--num-outputs-to-generate", "-1", "0 or more"],
    ["--num-outputs-to-generate", "1e3", "0 or more"],
    ["--seed", "abc", "0 or more"],
    ["--machine-batch-size", "-3", "0 or more"],
    ["--seed-batch-size", "0", "1 or more"],
    ["--max-stalled-requests", "0", "1 or more"],
    ["--max-gen-requests", "2.5", "1 or more"],
  ])(
    "%s %s is a usage error (exit 2) naming the option, the value and what is allowed",
    async (option, value, allowed) => {
      const r = await digit(["run", "task.yaml", option, value], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`option '${option} <n>' argument '${value}' is invalid`);
      expect(r.stderr).toContain(`expected a whole number, ${allowed}`);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(existsSync(join(dir, "output"))).toBe(false);
    },
    30_000,
  );

  it.each([
    [["run", "task.yaml", "--bogus"], /unknown option '--bogus'/],
    [["run", "task.yaml", "--seed"], /option '--seed <n>' argument missing/],
    [["run", "task.yaml", "--log-format", "xml"], /argument 'xml' is invalid/],
    [["worker", "redis://127.0.0.1:1", "--concurrency", "0"], /expected a whole number, 1 or more/],
    [["list", "blokcs"], /'blokcs' is not something digit can list/],
    [[], /Usage: digit/],
  ])(
    "digit %j is a usage error too: exit 2",
    async (args, message) => {
      const r = await digit(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, "output"))).toBe(false);
    },
    30_000,
  );
});

describe("a task that stalls", () => {
  it("is not said to have stalled when batches in flight reached its target", async () => {
    const dir = tempDir("digit-inputs-");
    mkdirSync(join(dir, "plugins/first_empty"), { recursive: true });
    writeFileSync(join(dir, "plugins/first_empty/builder.yaml"), "name: test/first_empty\n");
    // The first batch makes nothing (so, with max_stalled_requests 1, the task stalls at once);
    // the second, already in flight, makes two records: the target.
    writeFileSync(
      join(dir, "plugins/first_empty/builder.ts"),
      `import { GenerationDataBuilder, registerDataBuilder, type Row } from "digit-sdg";
@registerDataBuilder("test/first_empty")
export class FirstEmpty extends GenerationDataBuilder {
  async call(i: number, batch: Row[]) { return i === 1 ? [] : batch.flatMap((r) => [1, 2].map((k) => ({ task_name: r.task_name, text: "record " + i + "." + k }))); }
}
`,
    );
    const file = join(dir, "t.yaml");
    writeFileSync(
      file,
      "task_name: test/stall\ndata_builder: test/first_empty\nseed_examples: [{x: 0}]\nrunner_config:\n  num_outputs_to_generate: 2\n  seed_batch_size: 1\n  machine_batch_size: 0\n",
    );
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (m: string) => void warnings.push(m),
      error() {},
      child: () => logger,
    };
    const result = await runFixture({
      taskPaths: [file],
      outputDir: join(dir, "out"),
      pluginDirs: [join(dir, "plugins")],
      maxStalledAttempts: 1,
      logger,
    });
    expect(result.error).toBeUndefined();
    expect(result.outcomes[0]!.status).toBe("completed");
    expect(readJsonl(join(dir, "out/test/stall/final_data.jsonl"))).toHaveLength(2);
    expect(warnings.filter((w) => w.includes("stalled"))).toEqual([]);
  });

  it("seed_batch_size: 0 in a task file is refused (it would make only empty batches)", async () => {
    const dir = project("  type: default\n  data: [{ text: one }]\n");
    writeFileSync(
      join(dir, "task.yaml"),
      `${readFileSync(join(dir, "task.yaml"), "utf8")}runner_config:\n  seed_batch_size: 0\n`,
    );
    const r = await digit(["run", "task.yaml"], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(expectUserError(r, "DIGIT_CONFIG_INVALID")).toMatch(
      /seed_batch_size must be at least 1/,
    );
  }, 30_000);
});
