import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { ConfigError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { readJsonl } from "../../../test/engine/helpers.js";

const QUESTIONS = [
  "What is the capital of France?",
  "Which river flows through Vienna?",
  "what is the capital of france",
  "Name the longest river in Africa.",
  "x",
  "Which river flows through Vienna today?",
];

function setup(override: string) {
  const dir = mkdtempSync(join(tmpdir(), "digit-pipeline-"));
  writeFileSync(
    join(dir, "questions.jsonl"),
    `${QUESTIONS.map((q, i) => JSON.stringify({ question: q, n: i })).join("\n")}\n`,
  );
  writeFileSync(
    join(dir, "task.yaml"),
    `task_name: my/cleanup\ndata_builder: core/pipeline\ndata:\n  type: default\n  data_path: ${join(dir, "questions.jsonl")}\nrunner_config:\n  transform_batch_size: 2\n`,
  );
  writeFileSync(join(dir, "override.yaml"), override);
  return dir;
}

const run_ = (dir: string) =>
  run({
    taskPaths: [join(dir, "task.yaml")],
    configPath: join(dir, "override.yaml"),
    outputDir: join(dir, "out"),
    logger: silentLogger,
    cwd: dir,
  });

describe("core/pipeline", () => {
  it("deduplicates an existing dataset with YAML only, keeping input order and recording rejects", async () => {
    const dir = setup(`databuilders:
  core/pipeline:
    blocks:
      - name: short
        type: length
        filter: true
        min: 3
        input_map: { question: input }
      - name: dedup
        type: rouge_scorer
        threshold: 0.7
        filter: true
        input_map: { question: input }
    steps: [short]
    postprocessors: [{ name: dedup }]
`);
    const result = await run_(dir);
    expect(result.error).toBeUndefined();
    const out = readJsonl(join(dir, "out/my/cleanup/final_data.jsonl"));
    expect(out.map((r) => r.n)).toEqual([0, 1, 3]);
    expect(Object.keys(out[0]!)).toEqual(["task_name", "is_seed", "question", "n", "id"]);
    const dupes = readJsonl(join(dir, "out/my/cleanup/blocks/dedup.jsonl"));
    expect(dupes.map((r) => r.n).sort()).toEqual([2, 5]);
    expect(dupes.every((r) => typeof r.reason === "string" && r.block_name === "dedup")).toBe(true);
    expect(readJsonl(join(dir, "out/my/cleanup/blocks/short.jsonl")).map((r) => r.n)).toEqual([4]);
  });

  it("an LM step with prompt templates sends each row's fields as chat messages", async () => {
    const dir = setup(`databuilders:
  core/pipeline:
    blocks:
      - name: rater
        type: mock
        responses: ["rated <{{ input }}>"]
        output_map: { result: rating }
    steps:
      - name: rater
        system_prompt: "You rate questions."
        prompt: "Rate question {{ n }}: {{ question | upper }}"
    output_fields: [question, rating]
`);
    const result = await run_(dir);
    expect(result.error).toBeUndefined();
    const out = readJsonl(join(dir, "out/my/cleanup/final_data.jsonl"));
    // A chat step's result is the assistant message.
    expect(out.map((r) => (r.rating as { content: string }).content)).toEqual(
      QUESTIONS.map((q, i) => `rated <Rate question ${i}: ${q.toUpperCase()}>`),
    );
    expect(out.every((r) => !("__pipeline_prompt" in r))).toBe(true);
  });

  it("a step template that does not parse is an error before anything runs", async () => {
    const dir = setup(
      'databuilders:\n  core/pipeline:\n    blocks: [{ name: rater, type: mock }]\n    steps: [{ name: rater, prompt: "{{ question " }]\n',
    );
    const err = await run_(dir).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/pipeline step 'rater' prompt/);
  });

  it("a step that names no block is an error before anything runs", async () => {
    const dir = setup(
      "databuilders:\n  core/pipeline:\n    blocks: [{ name: a, type: noop }]\n    steps: [b]\n",
    );
    const err = await run_(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("pipeline step 'b'");
  });
});
