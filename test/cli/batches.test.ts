import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BatchJournal } from "../../src/blocks/lm/batch/journal.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { recordingContext } from "../lm/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { digit, parseJsonl, tempDir } from "./helpers.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: "sk-cli-batches", batch: { completionDelayMs: 600_000 } });
});
afterAll(() => fake.close());

describe("digit batches list|cancel", () => {
  it("lists the journaled batches and cancels one at the provider; the waiting rows fail as cancelled", async () => {
    const dir = tempDir("digit-batches-");
    const journal = join(dir, "batches.jsonl");
    process.env.DGT_BATCH_JOURNAL = journal;
    BatchJournal.closeAll();
    try {
      const block = new OpenAIProvider(
        {
          name: "gen",
          type: "openai",
          model_id_or_path: "gpt-4o-mini",
          base_url: fake.openaiBaseURL,
          api_key: "sk-cli-batches",
          execution: "batch",
          batch: { window: 0.01, poll_interval: 0.05, max_poll_interval: 0.1 },
        },
        recordingContext(),
      );
      const pending = block.call(
        [{ input: [{ role: "user", content: "a" }] }, { input: [{ role: "user", content: "b" }] }],
        { method: "chat_completion" },
      );
      await vi.waitFor(() => expect(fake.batchStats().created).toBe(1));
      const [id] = fake.batchStats().ids;

      const listed = await digit(["batches", "list", "--json"], {
        env: { DGT_BATCH_JOURNAL: journal },
      });
      expect(listed.code, listed.stderr).toBe(0);
      expect(parseJsonl(listed.stdout)).toEqual([
        expect.objectContaining({
          batch_id: id,
          provider: "openai",
          model: "gpt-4o-mini",
          block: "gen",
          requests: 2,
          state: "submitted",
        }),
      ]);
      const text = await digit(["batches", "list"], { env: { DGT_BATCH_JOURNAL: journal } });
      expect(text.stdout).toMatch(
        new RegExp(`${id}\\s+openai\\s+gpt-4o-mini\\s+gen\\s+2\\s+submitted`),
      );
      expect(text.stdout + listed.stdout).not.toContain("sk-cli-batches");

      const noKey = await digit(["batches", "cancel", id!], {
        env: { DGT_BATCH_JOURNAL: journal, OPENAI_API_KEY: "" },
      });
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toMatch(/set OPENAI_API_KEY/);
      const typo = await digit(["batches", "cancel", `${id}x`], {
        env: { DGT_BATCH_JOURNAL: journal },
      });
      expect(typo.stderr).toMatch(new RegExp(`did you mean '${id}'`));

      const cancelled = await digit(["batches", "cancel", id!], {
        env: { DGT_BATCH_JOURNAL: journal, OPENAI_API_KEY: "sk-cli-batches" },
      });
      expect(cancelled.code, cancelled.stderr).toBe(0);
      expect(fake.batchStats().cancelled).toBe(1);
      const rows = await pending;
      expect(rows.map((r) => r.error)).toEqual([
        expect.stringMatching(/cancelled/),
        expect.stringMatching(/cancelled/),
      ]);
      expect(fake.batchStats().created).toBe(1);
      const after = await digit(["batches", "list", "--json"], {
        env: { DGT_BATCH_JOURNAL: journal },
      });
      expect(parseJsonl(after.stdout)[0]).toMatchObject({ state: "cancelled" });
    } finally {
      delete process.env.DGT_BATCH_JOURNAL;
    }
  }, 60_000);
});
