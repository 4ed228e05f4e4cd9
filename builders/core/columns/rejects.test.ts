import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { cliEnv, digit, MAIN, ROOT } from "../../../test/cli/helpers.js";
import { readJsonl } from "../../../test/engine/helpers.js";
import { startFakeLLM } from "../../../test/support/fake-llm/index.js";

type Row = Record<string, unknown>;

/** Records of three categories: a validation refuses shipping, a structured column returns. */
const TASK = (name: string, target: number, latency = "") => `task_name: ${name}
data_builder: core/columns
runner_config: { num_outputs_to_generate: ${target}, seed_batch_size: 10 }
models:
  - name: writer
    type: mock${latency}
    responses:
      - { match: "^Ask a", response: "A {{ category }} question {{ n }}?" }
      - { match: "^Rate (billing|shipping)", response: '{"stars": 5}' }
      - { match: "^Rate returns", response: "no JSON here" }
columns:
  - { name: category, type: sampler, sampler_type: category, params: { values: [billing, shipping, returns] } }
  - { name: question, type: llm_text, model: writer, prompt: "Ask a {{ category }} question." }
  - { name: no_shipping, type: validation, target_columns: [question], validator_type: regex, params: { pattern: "billing|returns" }, filter: true }
  - { name: review, type: llm_structured, model: writer, prompt: "Rate {{ category }}.", max_attempts: 2, output_format: { type: object, properties: { stars: { type: integer } }, required: [stars] } }
`;

const lines = (file: string): Row[] => (existsSync(file) ? readJsonl(file) : []);
const last = <T>(xs: T[]): T => xs[xs.length - 1]!;

describe("core/columns: refused records", () => {
  it("count as rejected by their column in task_results, run_summary.json and progress.jsonl", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-rejects-"));
    writeFileSync(join(dir, "task.yaml"), TASK("t/rejects", 30));
    const r = await digit(["run", "task.yaml", "--output-dir", "out", "--seed", "3"], {
      cwd: dir,
      env: { DGT_TELEMETRY_DISABLE: "0", DGT_TELEMETRY_DIR: join(dir, "telemetry") },
    });
    expect(r.code, r.stderr).toBe(0);
    const task = join(dir, "out/t/rejects");
    const expected = {
      no_shipping: lines(join(task, "blocks/no_shipping.jsonl")).length,
      review: lines(join(task, "blocks/review.jsonl")).length,
    };
    expect(expected.no_shipping).toBeGreaterThan(0);
    expect(expected.review).toBeGreaterThan(0);
    const results = last(lines(join(task, "task_results.jsonl"))) as { metrics: Row };
    expect(results.metrics.rejected).toEqual(expected);
    const summary = JSON.parse(readFileSync(join(dir, "out/run_summary.json"), "utf8")) as {
      tasks: Row[];
    };
    expect(summary.tasks[0]!.rejected).toEqual(expected);
    const progress = last(lines(join(task, "progress.jsonl")));
    expect(progress.rejected).toBe(expected.no_shipping + expected.review);
    for (const row of lines(join(task, "blocks/review.jsonl"))) {
      expect(row).toMatchObject({ category: "returns", block_name: "review" });
      expect(row.reason).toMatch(/not a JSON object.*after 2 attempts/);
    }
  }, 60_000);

  it("a record whose request failed counts once, by its model, and is written to the column's file too", async () => {
    const fake = await startFakeLLM({ responses: ["A question {{n}}?"] });
    try {
      fake.configure({ failures: [{ kind: "500", count: 3 }] });
      const dir = mkdtempSync(join(tmpdir(), "digit-columns-failed-"));
      writeFileSync(
        join(dir, "task.yaml"),
        `task_name: t/failed
data_builder: core/columns
runner_config: { num_outputs_to_generate: 6, seed_batch_size: 3 }
models:
  - { name: writer, type: openai, model_id_or_path: fake, base_url: "${fake.openaiBaseURL}", api_key: k, max_retries: 0 }
columns:
  - { name: question, type: llm_text, model: writer, prompt: "Ask something." }
`,
      );
      const result = await run({
        taskPaths: [join(dir, "task.yaml")],
        outputDir: join(dir, "out"),
        logger: silentLogger,
        cwd: dir,
        cache: { enabled: false },
      });
      expect(result.error).toBeUndefined();
      const task = join(dir, "out/t/failed");
      expect(lines(join(task, "blocks/question.jsonl"))).toHaveLength(3);
      expect(lines(join(task, "blocks/writer@t.failed.jsonl"))).toHaveLength(3);
      expect(result.metrics.task("t/failed").rejected).toEqual({ "writer@t.failed": 3 });
      expect(lines(join(task, "final_data.jsonl"))).toHaveLength(6);
    } finally {
      await fake.close();
    }
  }, 30_000);

  it("a transformation resumed from an earlier checkpoint keeps each refusal once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-rejects-data-"));
    const data = Array.from({ length: 8 }, (_, i) => `{ text: "${i % 2 ? "keep" : "drop"} ${i}" }`);
    writeFileSync(
      join(dir, "task.yaml"),
      `task_name: t/data
data_builder: core/columns
runner_config: { transform_batch_size: 2 }
data: [${data.join(", ")}]
columns:
  - { name: label, type: expression, expr: "{{ text }}" }
  - { name: kept, type: validation, target_columns: [label], validator_type: regex, params: { pattern: keep }, filter: true }
`,
    );
    const runTo = async (out: string) =>
      expect(
        (
          await run({
            taskPaths: [join(dir, "task.yaml")],
            outputDir: join(dir, out),
            logger: silentLogger,
            cwd: dir,
          })
        ).error,
      ).toBeUndefined();
    await runTo("out");
    const folder = join(dir, "out/t/data");
    const refused = lines(join(folder, "blocks/kept.jsonl"));
    expect(refused.map((r) => [r.text, r.record_index])).toEqual(
      [0, 2, 4, 6].map((i) => [`drop ${i}`, i]),
    );
    // As if killed after the first batch's commit, with every later batch's refusal on disk.
    const state = readFileSync(join(folder, "dataloader_state.jsonl"), "utf8").split("\n");
    const upTo = state.findIndex((l) => l.includes('"data_rows":1,'));
    expect(upTo).toBeGreaterThan(0);
    writeFileSync(
      join(folder, "dataloader_state.jsonl"),
      `${state.slice(0, upTo + 1).join("\n")}\n`,
    );
    const made = readFileSync(join(folder, "data.jsonl"), "utf8").split("\n");
    writeFileSync(join(folder, "data.jsonl"), `${made[0]}\n`);
    rmSync(join(folder, "task_results.jsonl"));
    await runTo("out");
    expect(lines(join(folder, "blocks/kept.jsonl"))).toEqual(refused);
    expect(lines(join(folder, "final_data.jsonl")).map((r) => r.text)).toEqual(
      [1, 3, 5, 7].map((i) => `keep ${i}`),
    );
  }, 30_000);

  it("after a SIGKILL and resume, blocks/<column>.jsonl holds each refused record once, as an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-rejects-kill-"));
    // Jitter finishes batches out of order: later ones wait, refusals written, for earlier commits.
    writeFileSync(
      join(dir, "task.yaml"),
      TASK("t/kill", 200, "\n    latency_ms: 10\n    jitter_ms: 40"),
    );
    const folder = (out: string) => join(dir, out, "t/kill");
    const killed = "killed";
    let inFlight: Row[] = [];
    const uncommitted = () => {
      const bound = lastCheckpoint(folder(killed)).row_index;
      return ["no_shipping", "review"]
        .flatMap((c) => lines(join(folder(killed), `blocks/${c}.jsonl`)))
        .filter((r) => Number(r.record_index) >= bound);
    };
    // Killed as soon as a refusal of a batch not yet committed is on disk (a commit may still
    // land before the kill does: then again, on the resumed run).
    for (let attempt = 0; attempt < 4 && inFlight.length === 0; attempt++) {
      expect(await runDigit(dir, killed, () => safely(uncommitted).length > 0)).toBeNull();
      inFlight = uncommitted();
    }
    // The kill left refusals of batches that were never committed (what a resume used to repeat).
    expect(inFlight.length).toBeGreaterThan(0);

    expect(await runDigit(dir, killed)).toBe(0);
    expect(await runDigit(dir, "whole")).toBe(0);
    // Both runs committed every batch below this index (how far past the target in-flight
    // batches took each run depends on timing).
    const bound = Math.min(
      lastCheckpoint(folder(killed)).row_index,
      lastCheckpoint(folder("whole")).row_index,
    );
    for (const column of ["no_shipping", "review"]) {
      const resumed = lines(join(folder(killed), `blocks/${column}.jsonl`));
      // A refused record by what was asked (its question carries the mock's number, hashed from
      // the record's draw key) and why; the other cells it holds depend on which finished first.
      const key = (r: Row) => JSON.stringify([r.record_index, r.category, r.question, r.reason]);
      const keys = resumed.map(key);
      expect(new Set(keys).size).toBe(keys.length);
      const committed = (out: string) =>
        lines(join(folder(out), `blocks/${column}.jsonl`))
          .filter((r) => Number(r.record_index) < bound)
          .map(key)
          .sort();
      expect(committed(killed)).toEqual(committed("whole"));
    }
  }, 180_000);
});

/** The last checkpoint of a task folder's state log. */
function lastCheckpoint(folder: string): { row_index: number; data_rows: number } {
  const text = readFileSync(join(folder, "dataloader_state.jsonl"), "utf8");
  const complete = text.split("\n").filter((l) => l.endsWith("}"));
  return JSON.parse(last(complete)) as { row_index: number; data_rows: number };
}

/** What `read` returns, or nothing while a file it reads is half written. */
function safely(read: () => Row[]): Row[] {
  try {
    return read();
  } catch {
    return [];
  }
}

/** `digit run` in a child process; with `killWhen`, SIGKILL as soon as it holds. */
function runDigit(dir: string, out: string, killWhen?: () => boolean): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      "run",
      join(dir, "task.yaml"),
      "--output-dir",
      join(dir, out),
      "--seed",
      "5",
      "--no-cache",
      "--quiet",
    ],
    // From the repository, where `--import tsx` resolves.
    { cwd: ROOT, env: cliEnv(), stdio: "ignore" },
  );
  if (killWhen !== undefined) {
    const state = join(dir, out, "t/kill/dataloader_state.jsonl");
    const poll = setInterval(() => {
      if (!existsSync(state) || !killWhen()) return;
      clearInterval(poll);
      child.kill("SIGKILL");
    }, 5);
    child.on("exit", () => clearInterval(poll));
  }
  return new Promise((done) => child.on("exit", (code) => done(code)));
}
