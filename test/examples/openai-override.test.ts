import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digitRun, readJsonl, tempDir } from "../builders/support.js";
import { digit } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { withEnv } from "../support/with-env.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    latencyMs: 5,
    responses: ["Question: What is the capital of land {{n}}?\nAnswer: Town {{n}}"],
  });
});
afterAll(() => fake.close());

/** Run with OPENAI_BASE_URL / OPENAI_API_KEY pointing at the fake server (and `extra`). */
function withFakeOpenAI<T>(extra: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return withEnv(
    { OPENAI_BASE_URL: fake.openaiBaseURL, OPENAI_API_KEY: "sk-from-env", ...extra },
    fn,
  );
}

describe("configs/public/examples/openai_qa.yaml (DiGiT's override file)", () => {
  it("swaps the generator to openai, keeps the builder's other keys, and reads seeds from the data file", async () => {
    const dir = tempDir("openai-qa");
    const seen: { model: unknown; maxTokens: unknown; prompt: string }[] = [];
    fake.configure({
      respond: (r) => {
        seen.push({
          model: r.body.model,
          maxTokens: r.body.max_tokens ?? r.body.max_completion_tokens,
          prompt: r.prompt,
        });
        return undefined as never;
      },
    });
    // Seeds the task file does not have, so the prompts show where they came from.
    const data = tempDir("openai-qa-data");
    mkdirSync(join(data, "public/examples/qa"), { recursive: true });
    writeFileSync(
      join(data, "public/examples/qa/seed_examples.jsonl"),
      '{"question": "Which lake is the deepest?", "answer": "Baikal"}\n{"question": "Which desert is the driest?", "answer": "Atacama"}\n',
    );
    const code = await withFakeOpenAI({ DGT_DATA_DIR: data }, () =>
      digitRun([
        "--config-path",
        "configs/public/examples/openai_qa.yaml",
        "--include-namespaces",
        "public",
        "--output-dir",
        dir,
        "--restart",
        "--num-outputs-to-generate",
        "5",
      ]),
    );
    expect(code).toBe(0);
    const final = readJsonl(join(dir, "public/examples/geography_qa/final_data.jsonl"));
    expect(final.filter((r) => r.is_seed === false)).toHaveLength(5);
    expect(seen.length).toBeGreaterThan(0);
    // The deep block merge keeps max_tokens from the builder YAML; the model comes from the override.
    expect(seen.every((s) => s.model === "gpt-4o-mini" && s.maxTokens === 128)).toBe(true);
    // Seeds came from ${DGT_DATA_DIR}/public/examples/qa/seed_examples.jsonl (seed_examples: null + seed_datastore).
    expect(seen.some((s) => s.prompt.includes("Which lake is the deepest?"))).toBe(true);
    expect(seen.some((s) => s.prompt.includes("What is the capital of Australia?"))).toBe(false);
  });

  it("says nothing about the builder's Ollama parameters that the openai type does not use", async () => {
    const dir = tempDir("openai-qa-quiet");
    const r = await digit(
      [
        "run",
        "--config-path",
        "configs/public/examples/openai_qa.yaml",
        "--include-namespaces",
        "public",
        "--output-dir",
        dir,
        "--num-outputs-to-generate",
        "2",
      ],
      {
        env: { OPENAI_BASE_URL: fake.openaiBaseURL, OPENAI_API_KEY: "sk-from-env" },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/num_ctx|warn/);
  });

  it("applies builder settings keyed by the task's name (DiGiT's openai_chit_chat.yaml shape) to the task's builder", async () => {
    const dir = tempDir("task-keyed");
    const models: unknown[] = [];
    fake.configure({
      respond: (r) => {
        models.push(r.body.model);
        return undefined as never;
      },
    });
    await withFakeOpenAI({}, () =>
      digitRun([
        "tasks/public/examples/chit_chat/task.yaml",
        "--config-path",
        "test/fixtures/engine/task-keyed-override.yaml",
        "--include-namespaces",
        "public",
        "--output-dir",
        dir,
        "--num-outputs-to-generate",
        "1",
        "--max-stalled-requests",
        "1",
      ]),
    );
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((m) => m === "gpt-4o-mini")).toBe(true);
  });
});
