import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { digit } from "../../../test/cli/helpers.js";
import { readJsonl } from "../../../test/engine/helpers.js";

type Row = Record<string, unknown>;

/** Six equal input records, in batches of two; sampled columns and an LLM column. */
const TASK = `task_name: t/same
data_builder: core/columns
runner_config: { transform_batch_size: 2 }
data: [{ text: same }, { text: same }, { text: same }, { text: same }, { text: same }, { text: same }]
models: [{ name: writer, type: mock, responses: ["reply {{ n }}"] }]
columns:
  - { name: uid, type: sampler, sampler_type: uuid }
  - { name: score, type: sampler, sampler_type: uniform, params: { low: 0, high: 1000 } }
  - { name: reply, type: llm_text, model: writer, prompt: "Rewrite {{ text }}" }
`;

function taskDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "digit-columns-same-"));
  writeFileSync(join(dir, "task.yaml"), TASK);
  return dir;
}

/** Run the task into `dir/out`: its final records and how many LLM requests it sent. */
async function runIn(dir: string, out: string): Promise<Row[] & { requests?: number }> {
  const result = await run({
    taskPaths: [join(dir, "task.yaml")],
    outputDir: join(dir, out),
    logger: silentLogger,
    cwd: dir,
    seed: 7,
  });
  expect(result.error).toBeUndefined();
  const rows: Row[] & { requests?: number } = readJsonl(join(dir, out, "t/same/final_data.jsonl"));
  rows.requests = result.metrics.task("t/same").requests;
  return rows;
}

const drawn = (rows: Row[]) => rows.map((r) => [r.uid, r.score, r.reply]);

describe("core/columns transformation: draws by the input record's place", () => {
  it("equal input records draw independently, and alike on rerun and resume", async () => {
    const dir = taskDir();
    const first = await runIn(dir, "a");
    expect(first).toHaveLength(6);
    for (const column of ["uid", "score", "reply"])
      expect(new Set(first.map((r) => r[column])).size).toBe(6);

    expect(drawn(await runIn(dir, "b"))).toEqual(drawn(first));

    // A run that committed only its first batch: the checkpoint after it, its two records.
    cpSync(join(dir, "a"), join(dir, "c"), { recursive: true });
    const folder = join(dir, "c/t/same");
    const state = readFileSync(join(folder, "dataloader_state.jsonl"), "utf8").split("\n");
    const upTo = state.findIndex((l) => l.includes('"data_rows":2,'));
    expect(upTo).toBeGreaterThan(0);
    writeFileSync(
      join(folder, "dataloader_state.jsonl"),
      `${state.slice(0, upTo + 1).join("\n")}\n`,
    );
    const data = readFileSync(join(folder, "data.jsonl"), "utf8").split("\n");
    writeFileSync(join(folder, "data.jsonl"), `${data.slice(0, 2).join("\n")}\n`);
    for (const f of ["task_results.jsonl", "final_data.jsonl"]) rmSync(join(folder, f));
    const resumed = await runIn(dir, "c");
    expect(resumed.requests).toBe(4); // the four records not committed, made again
    expect(drawn(resumed)).toEqual(drawn(first));
  }, 30_000);

  it("digit preview shows the same values for equal records as the run", async () => {
    const dir = taskDir();
    const made = await runIn(dir, "out");
    const r = await digit(["preview", "task.yaml", "-n", "3", "--seed", "7", "--json"], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const shown = (JSON.parse(r.stdout) as { records: Row[] }).records;
    expect(drawn(shown)).toEqual(drawn(made.slice(0, 3)));
    expect(new Set(shown.map((x) => x.uid)).size).toBe(3);
  }, 30_000);
});
