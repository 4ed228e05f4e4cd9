import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { readJsonl, runFixture, task, tempDir, writeTask } from "./helpers.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    latencyMs: 20,
    jitterMs: 10,
    responses: ["item {{n}} of some task"],
  });
});
afterAll(() => fake.close());

describe("one credential shared by several builders and tasks", () => {
  it("never has more requests in flight than its limit: 3 tasks on 2 builders, filling on", async () => {
    credentialPool().clear();
    const dir = tempDir();
    const block = (name: string) =>
      [
        `      - name: ${name}`,
        "        type: openai",
        "        model_id_or_path: fake-model",
        `        base_url: ${fake.openaiBaseURL}`,
        "        api_key: one-shared-key",
        "        call_limit: 6",
        "        batch_size: 1",
      ].join("\n");
    const override = writeTask(
      dir,
      "override.yaml",
      `databuilders:\n  test/echo_gen:\n    blocks:\n${block("generator")}\n  test/echo_transform:\n    blocks:\n${block("model")}\n`,
    );
    const rows = Array.from({ length: 30 }, (_, i) => `{text: t${i}}`).join(", ");
    const transform = writeTask(
      dir,
      "transform.yaml",
      `task_name: test/shared_t\ndata_builder: test/echo_transform\nrunner_config:\n  transform_batch_size: 2\ndata: [${rows}]\n`,
    );
    const out = join(dir, "out");
    const result = await runFixture({
      taskPaths: [task("gen_a"), task("gen_b"), transform],
      outputDir: out,
      configPath: override,
      numOutputsToGenerate: 25,
    });
    expect(result.error).toBeUndefined();
    expect(result.outcomes.map((o) => o.status)).toEqual(["completed", "completed", "completed"]);
    expect(readJsonl(join(out, "test/shared_t/final_data.jsonl"))).toHaveLength(30);
    const stats = fake.stats();
    expect(stats.completed).toBeGreaterThanOrEqual(80);
    expect(stats.peakInFlight).toBe(6); // used to the full, never beyond
    expect(stats.rateLimited).toBe(0);
  });

  it("a judge's model asking a lower limit on the generator's credential holds from the first request", async () => {
    credentialPool().clear();
    fake.reset();
    const dir = tempDir();
    const lm = (limit: number) => [
      `type: openai`,
      "model_id_or_path: fake-model",
      `base_url: ${fake.openaiBaseURL}`,
      "api_key: one-shared-key",
      `call_limit: ${limit}`,
      "batch_size: 1",
    ];
    const override = writeTask(
      dir,
      "override.yaml",
      [
        "databuilders:",
        "  test/echo_gen:",
        "    blocks:",
        "      - name: generator",
        ...lm(5).map((l) => `        ${l}`),
        "      - name: judge",
        "        type: lm_judge",
        "        filter: false",
        "        prompt: 'Is this fine? {{text}}'",
        "        success: { regex: item }",
        "        lm_config:",
        ...lm(3).map((l) => `          ${l}`),
        "    postprocessors:",
        "      - name: judge",
      ].join("\n"),
    );
    const result = await runFixture({
      taskPaths: [task("gen_a")],
      outputDir: join(dir, "out"),
      configPath: override,
      numOutputsToGenerate: 40,
    });
    expect(result.error).toBeUndefined();
    expect(fake.stats().completed).toBeGreaterThanOrEqual(40);
    expect(fake.stats().peakInFlight).toBeLessThanOrEqual(3);
  });
});
