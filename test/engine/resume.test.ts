import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, PLUGINS, readJsonl, runFixture, tempDir } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TRIALS = Number(process.env.DIGIT_RESUME_TRIALS ?? 4);
const TARGET = 120;
const FORMATS = (process.env.DIGIT_RESUME_FORMATS ?? "jsonl,parquet,csv").split(",");

/** A seeded PRNG for kill times, so a failing trial can be replayed. */
function killTimes(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % 2000;
  });
}

function taskFile(dir: string, format: string): string {
  const file = join(dir, "task.yaml");
  writeFileSync(
    file,
    [
      "task_name: test/resume",
      "data_builder: test/echo_gen",
      `datastore: { type: default, output_data_format: ${format} }`,
      "seed_examples: [{text: s1}, {text: s2}, {text: s3}]",
      "runner_config: { seed_batch_size: 3, machine_batch_size: 2 }",
    ].join("\n"),
  );
  return file;
}

/**
 * Start `digit run` in a child process and SIGKILL it `ms` after its first committed batch (so the
 * kill lands mid-run whatever the start-up time). Resolves when it has exited.
 */
function runAndKill(file: string, out: string, ms: number): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "src/cli/main.ts"),
      "run",
      file,
      "--plugin-dir",
      PLUGINS,
      "--config-path",
      join(FIXTURES, "slow-mock.yaml"),
      "--output-dir",
      out,
      "--num-outputs-to-generate",
      String(TARGET),
      "--quiet",
    ],
    { cwd: ROOT, stdio: "ignore" },
  );
  const state = join(out, "test/resume/dataloader_state.jsonl");
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    // The first committed batch (a fresh start writes an all-zero checkpoint line first).
    if (!existsSync(state) || !/"data_rows":[1-9]/.test(readFileSync(state, "utf8"))) return;
    clearInterval(poll);
    timer = setTimeout(() => child.kill("SIGKILL"), ms);
  }, 10);
  return new Promise((done) =>
    child.once("exit", () => {
      clearInterval(poll);
      clearTimeout(timer);
      done();
    }),
  );
}

/** Ids of the records the last checkpoint says were committed (the ones that must survive). */
async function committedIds(dir: string, format: string): Promise<unknown[]> {
  const stateFile = join(dir, "dataloader_state.jsonl");
  if (!existsSync(stateFile)) return [];
  const lines = readFileSync(stateFile, "utf8")
    .split("\n")
    .filter((l) => {
      try {
        JSON.parse(l);
        return true;
      } catch {
        return false;
      }
    });
  const last = lines.length
    ? (JSON.parse(lines[lines.length - 1]!) as { data_rows: number })
    : undefined;
  if (!last) return [];
  const rows = await readStore(dir, "data", format);
  return rows.slice(0, last.data_rows).map((r) => r.id);
}

async function readStore(
  dir: string,
  store: string,
  format: string,
): Promise<Record<string, unknown>[]> {
  if (format === "jsonl") return readJsonl(join(dir, `${store}.jsonl`));
  const { createDatastore } = await import("../../src/stores/factory.js");
  const { Registry } = await import("../../src/registry/registry.js");
  const ds = await createDatastore(await Registry.open({ cwd: ROOT }), {
    type: "default",
    store_name: store,
    output_dir: dir,
    output_data_format: format,
  });
  return (await ds.exists()) ? ((await ds.readAll()) as Record<string, unknown>[]) : [];
}

describe.each(FORMATS)("resume after SIGKILL (%s output)", (format) => {
  it(`loses and duplicates nothing over ${TRIALS} random kills`, async () => {
    let midRun = 0;
    for (const [trial, ms] of killTimes(format.length * 7919, TRIALS).entries()) {
      const base = tempDir(`digit-resume-${format}-`);
      const file = taskFile(base, format);
      const out = join(base, "out");
      const dir = join(out, "test/resume");
      await runAndKill(file, out, ms);
      const before = await committedIds(dir, format);
      if (before.length > 0 && before.length < TARGET) midRun++;

      if (process.env.DIGIT_RESUME_DEBUG)
        console.log(
          `${format} trial ${trial}: killed after ${ms} ms with ${before.length} committed`,
        );
      const result = await runFixture({
        taskPaths: [file],
        outputDir: out,
        numOutputsToGenerate: TARGET,
        configPath: join(FIXTURES, "slow-mock.yaml"),
      });
      const context = `trial ${trial} (killed after ${ms} ms, ${before.length} records committed)`;
      expect(result.error, context).toBeUndefined();
      expect(result.outcomes[0]!.status, context).toBe("completed");

      const data = await readStore(dir, "data", format);
      const ids = data.map((r) => r.id);
      expect(new Set(ids).size, `${context}: duplicate records in data`).toBe(ids.length);
      expect(ids.slice(0, before.length), `${context}: committed records lost`).toEqual(before);
      const final = await readStore(dir, "final_data", format);
      expect(final, context).toHaveLength(TARGET);
      expect(new Set(final.map((r) => r.id)).size, context).toBe(TARGET);
      expect(
        final.some((r) => /item \d*7 /.test(String(r.text))),
        `${context}: postprocessing not applied to all data`,
      ).toBe(false);
      const known = new Set(ids);
      expect(
        final.every((r) => known.has(r.id)),
        context,
      ).toBe(true);
    }
    // The test proves nothing unless kills really interrupted runs part-way.
    expect(midRun).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
  }, 240_000);
});
