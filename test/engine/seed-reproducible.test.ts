import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Row } from "../../src/util/mapping.js";
import { digitRun, fakeBlock, tempDir, writeOverride } from "../builders/support.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

const BUILDER = "public/examples/geography_qa";
const TASKS = ["seed_repro/first", "seed_repro/second"];

/** Two copies of the bundled QA task (one builder), with different names. */
function writeTasks(dir: string): string[] {
  const spec = parse(readFileSync("tasks/public/examples/qa/task.yaml", "utf8")) as Record<
    string,
    unknown
  >;
  return TASKS.map((name, i) => {
    const file = join(dir, `task${i}.yaml`);
    writeFileSync(file, stringify({ ...spec, task_name: name }));
    return file;
  });
}

/** Answers whose number is `{{n}}`: two kinds of distinct questions, and a repeat dedup removes (so later epochs run too). */
const ANSWERS = [
  "Question: Which country has the city numbered {{n}} on the atlas?\nAnswer: Atlantis {{n}}",
  "Question: What river runs through the town of Riverton {{n}}?\nAnswer: The Mock River {{n}}",
  "Question: What is the capital of Examplia?\nAnswer: Sampleton, since year {{n}}",
];
const DEDUP: Row = {
  name: "dedup",
  type: "rouge_scorer",
  filter: true,
  threshold: 1.0,
  input_map: { question: "input" },
};

/** An answer that depends only on the prompt (a model at temperature 0). */
function answerFor(prompt: string): string {
  const h = createHash("sha256").update(prompt).digest();
  return ANSWERS[h.readUInt32LE(0) % ANSWERS.length]!.replaceAll(
    "{{n}}",
    String(h.readUInt32LE(4)),
  );
}

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ latencyMs: 1, jitterMs: 15, respond: (r) => answerFor(r.prompt) });
});
afterAll(() => fake.close());

/** One run with `--seed 7`, answered by `generator` (a block config); `builder` adds builder keys. */
async function runOnce(
  dir: string,
  taskFiles: string[],
  generator: Row,
  builder: Row,
): Promise<string> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const override = writeOverride(dir, "override.yaml", {
    databuilders: {
      [BUILDER]: { ...builder, blocks: [{ name: "generator", ...generator }, DEDUP] },
    },
  });
  const code = await digitRun([
    ...taskFiles,
    "--include-namespaces",
    "public",
    "--config-path",
    override,
    "--output-dir",
    out,
    "--seed",
    "7",
    "--num-outputs-to-generate",
    "60",
  ]);
  expect(code).toBe(0);
  return out;
}

const read = (out: string, task: string, file: string) =>
  readFileSync(join(out, task, file), "utf8");

/** Run twice and compare each task's data and final data byte for byte. */
async function expectSameTwice(generator: Row, builder: Row = {}): Promise<void> {
  const dir = tempDir("seed-repro");
  const tasks = writeTasks(dir);
  const a = await runOnce(dir, tasks, generator, builder);
  const b = await runOnce(dir, tasks, generator, builder);
  for (const task of TASKS) {
    const finalA = read(a, task, "final_data.jsonl");
    expect(finalA.trim().split("\n")).toHaveLength(60);
    expect(read(b, task, "final_data.jsonl")).toBe(finalA);
    expect(read(b, task, "data.jsonl")).toBe(read(a, task, "data.jsonl"));
  }
}

describe("--seed with two tasks of one builder", () => {
  it("gives byte-identical data and final data per task in two runs against a model answering by prompt, out of order", async () => {
    await expectSameTwice(fakeBlock("openai", fake));
  }, 60_000);

  it("also when few calls are in flight, so later batches take earlier records as examples", async () => {
    await expectSameTwice(fakeBlock("openai", fake), { max_concurrent_batches: 2 });
  }, 60_000);

  it("gives byte-identical data and final data per task in two runs against the mock provider with random latency", async () => {
    await expectSameTwice({ type: "mock", latency_ms: 1, jitter_ms: 15, responses: ANSWERS });
  }, 60_000);
});
