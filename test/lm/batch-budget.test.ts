import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BatchJournal } from "../../src/blocks/lm/batch/journal.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { SpendGuard } from "../../src/blocks/lm/spend-guard.js";
import { BudgetExhausted } from "../../src/errors.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

let fake: FakeLLM;
let dir: string;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: "sk-batch", responses: ["ok"] });
});
afterAll(() => fake.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "digit-batch-budget-"));
  process.env.DGT_BATCH_JOURNAL = join(dir, "batches.jsonl");
  BatchJournal.closeAll();
  fake.reset();
});
afterEach(() => {
  delete process.env.DGT_BATCH_JOURNAL;
  rmSync(dir, { recursive: true, force: true });
});

/** USD per 1M tokens; batch requests are priced at half (the default discount). */
const PRICES = { openai: { "fake-model": { input: 100, output: 400 } } };

describe("spending caps on requests sent by batch API", () => {
  it("reserves each request's worst case at the batch price before packing it, and refuses past the cap", async () => {
    // Worst case of one request below: 13 prompt tokens (39 characters / 3) at $50/M plus
    // max_tokens 10 at $200/M = $0.00265; a cap of $0.009 covers three at once, not four.
    const budget = new SpendGuard(PRICES, { run: 0.009 });
    const b = new OpenAIProvider(
      {
        name: "gen",
        type: "openai",
        model_id_or_path: "fake-model",
        base_url: fake.openaiBaseURL,
        api_key: "sk-batch",
        ...FAST,
        max_tokens: 10,
        execution: "batch",
        batch: { window: 0.02, poll_interval: 0.02, max_poll_interval: 0.05 },
      },
      { ...recordingContext(), budget },
    );
    const rows = [0, 1, 2, 3, 4, 5].map((i) => ({
      input: [{ role: "user", content: `question ${i}` }],
      task_name: "t",
    }));
    await expect(b.call(rows, { method: "chat_completion" })).rejects.toBeInstanceOf(
      BudgetExhausted,
    );
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 3 });
    const totals = await budget.totals();
    // The three answers were paid (at the batch price) and nothing stays reserved.
    expect(totals.spent).toBeGreaterThan(0);
    expect(totals.spent).toBeLessThanOrEqual(0.009);
    expect(totals.reserved).toBeCloseTo(0, 12);
  });
});
