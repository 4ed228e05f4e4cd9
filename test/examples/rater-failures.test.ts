import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digitRun, readJsonl, tempDir, writeOverride } from "../builders/support.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

const TASK = "public/examples/qa_ratings";
const INPUT = readJsonl("data/public/examples/rate/data.jsonl");

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    responses: ['{"knowledge": "capitals", "difficulty": "easy"}'],
    failures: [{ kind: "500", count: 6 }],
  });
});
afterAll(() => fake.close());

describe("a transformation whose requests fail for good", () => {
  it("accounts for every input row: rated, or in blocks/rater.jsonl with its error and counted as rejected", async () => {
    const dir = tempDir("rater-failures");
    const override = writeOverride(dir, "override.yaml", {
      databuilders: {
        "public/examples/qa_rater": {
          blocks: [
            {
              name: "rater",
              type: "openai",
              model_id_or_path: "fake",
              base_url: fake.openaiBaseURL,
              api_key: "sk-fake",
              max_retries: 0,
              call_limit: 2,
            },
          ],
        },
      },
    });
    const code = await digitRun([
      "tasks/public/examples/rate/task.yaml",
      "--include-namespaces",
      "public",
      "--config-path",
      override,
      "--output-dir",
      dir,
    ]);
    expect(code).toBe(0);
    const rated = readJsonl(join(dir, TASK, "final_data.jsonl"));
    const failed = readJsonl(join(dir, TASK, "blocks", "rater.jsonl"));
    expect(failed).toHaveLength(6);
    expect(rated).toHaveLength(INPUT.length - 6);
    expect(new Set([...rated, ...failed].map((r) => r.question))).toEqual(
      new Set(INPUT.map((r) => r.question)),
    );
    for (const r of failed)
      expect(r).toMatchObject({
        task_name: TASK,
        block_name: "rater",
        reason: expect.stringMatching(/^5xx: 500/),
      });
    const summary = JSON.parse(readFileSync(join(dir, "run_summary.json"), "utf8")) as {
      tasks: { task: string; rejected: Record<string, number> }[];
    };
    expect(summary.tasks.find((t) => t.task === TASK)?.rejected).toEqual({ rater: 6 });
  });
});
