import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIRST_RECORD_BUDGET } from "../../src/engine/generation-loop.js";
import { digitRun, readJsonl, tempDir, writeOverride } from "../builders/support.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

const TASK = "public/examples/geography_qa";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ latencyMs: 5, responses: ["This is answer {{n}}."] });
});
afterAll(() => fake.close());

describe("a builder that cannot use the model's replies", () => {
  it("stops after a few batches, not max_stalled_attempts of them, showing a reply and what the builder expected", async () => {
    const dir = tempDir("unusable-replies");
    const override = writeOverride(dir, "override.yaml", {
      databuilders: {
        [TASK]: {
          blocks: [
            {
              name: "generator",
              type: "openai",
              model_id_or_path: "m",
              base_url: fake.openaiBaseURL,
              api_key: "sk-fake",
            },
          ],
        },
      },
    });
    const code = await digitRun([
      "tasks/public/examples/qa/task.yaml",
      "--include-namespaces",
      "public",
      "--config-path",
      override,
      "--output-dir",
      dir,
      "--num-outputs-to-generate",
      "50",
    ]);
    expect(code).toBe(3);
    const summary = JSON.parse(readFileSync(join(dir, "run_summary.json"), "utf8")) as {
      tasks: { status: string; requests: number }[];
    };
    expect(summary.tasks[0]!.status).toBe("stalled_generation");
    // The budget plus what was in flight when it ran out (the default of 100 stalled batches sent over 1,000).
    expect(summary.tasks[0]!.requests).toBeGreaterThanOrEqual(FIRST_RECORD_BUDGET);
    expect(summary.tasks[0]!.requests).toBeLessThanOrEqual(3 * FIRST_RECORD_BUDGET);
    const warning = readJsonl(join(dir, TASK, "logs.jsonl")).find((l) =>
      String(l.message).includes("stalled"),
    )!;
    expect(String(warning.message)).toMatch(/the builder made nothing of its first \d+ inputs/);
    expect(String(warning.message)).toMatch(
      /A reply: "This is answer \d+\." \(the builder: expected 'Question: \.\.\.' then one 'Answer: \.\.\.'\)/,
    );
  });
});
