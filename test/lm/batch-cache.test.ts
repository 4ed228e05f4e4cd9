import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AnthropicProvider } from "../../src/blocks/lm/anthropic/index.js";
import { BatchJournal } from "../../src/blocks/lm/batch/journal.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { closeSharedCaches } from "../../src/cache/settings.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

let fake: FakeLLM;
let dir: string;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: "sk-batch" });
});
afterAll(() => fake.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "digit-batch-cache-"));
  process.env.DGT_BATCH_JOURNAL = join(dir, "batches.jsonl");
  BatchJournal.closeAll();
  fake.reset();
  fake.configure({ responses: ["Answer {{n}} to: {{prompt}}"], batch: {} });
});
afterEach(() => {
  delete process.env.DGT_BATCH_JOURNAL;
  closeSharedCaches();
  rmSync(dir, { recursive: true, force: true });
});

const BATCH = { window: 0.02, poll_interval: 0.02, max_poll_interval: 0.05 };
const chat = (i: number) => ({
  input: [{ role: "user", content: `question ${i}` }],
  task_name: "t",
});

/** A batch-mode block with the response cache on (a new instance is a new run's block). */
function openai() {
  const ctx = { ...recordingContext(), cache: { dir: join(dir, "cache"), enabled: true } };
  const config = {
    name: "gen",
    type: "openai",
    model_id_or_path: "fake-model",
    base_url: fake.openaiBaseURL,
    api_key: "sk-batch",
    ...FAST,
    cache: true,
    execution: "batch",
    batch: BATCH,
  };
  return new OpenAIProvider(config, ctx);
}

describe("batch execution through the response cache", () => {
  it("answers cached rows before packing and stores batch answers as they arrive: a rerun sends nothing", async () => {
    const first = await openai().call([0, 1, 2].map(chat), { method: "chat_completion" });
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 3 });

    // One new row: only it goes into a batch; the others come from the cache, unchanged.
    const second = await openai().call([0, 1, 2, 3].map(chat), { method: "chat_completion" });
    expect(fake.batchStats()).toMatchObject({ created: 2, requests: 4 });
    expect(second.slice(0, 3).map((r) => r.result)).toEqual(first.map((r) => r.result));
    expect(second[0]!.addtl).toEqual(first[0]!.addtl);

    const third = await openai().call([0, 1, 2, 3].map(chat), { method: "chat_completion" });
    expect(fake.batchStats()).toMatchObject({ created: 2, requests: 4 });
    expect(fake.stats().byPath["/v1/chat/completions"]).toBeUndefined();
    expect(third.map((r) => r.result)).toEqual(second.map((r) => r.result));
  });

  it("caches each fanned-out sample of a row on its own (Anthropic, n: 2)", async () => {
    const claude = () =>
      new AnthropicProvider(
        {
          name: "claude",
          type: "anthropic",
          model_id_or_path: "claude-x",
          base_url: fake.url,
          api_key: "sk-batch",
          max_tokens: 64,
          ...FAST,
          cache: true,
          execution: "batch",
          batch: BATCH,
        },
        { ...recordingContext(), cache: { dir: join(dir, "cache"), enabled: true } },
      );
    const rows = [{ ...chat(1), gen_kwargs: { n: 2 } }];
    const [once] = await claude().call(rows, { method: "chat_completion" });
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 2 });
    const samples = once!.result as { content: string }[];
    expect(samples).toHaveLength(2);
    // The fake numbers its answers: two samples, two different answers.
    expect(samples[0]!.content).not.toBe(samples[1]!.content);
    const [again] = await claude().call(rows, { method: "chat_completion" });
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 2 });
    expect(again!.result).toEqual(once!.result);
  });
});
