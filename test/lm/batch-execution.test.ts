import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AnthropicProvider } from "../../src/blocks/lm/anthropic/index.js";
import { BatchJournal } from "../../src/blocks/lm/batch/journal.js";
import { OllamaProvider } from "../../src/blocks/lm/ollama/index.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { BatchUnsupportedError } from "../../src/errors.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

let fake: FakeLLM;
let dir: string;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: "sk-batch" });
});
afterAll(() => fake.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "digit-batch-"));
  process.env.DGT_BATCH_JOURNAL = join(dir, "batches.jsonl");
  BatchJournal.closeAll();
  fake.reset();
  fake.configure({ responses: ["Answer to: {{prompt}}"], batch: {} });
});
afterEach(() => {
  delete process.env.DGT_BATCH_JOURNAL;
  rmSync(dir, { recursive: true, force: true });
});

const BATCH = { window: 0.02, poll_interval: 0.02, max_poll_interval: 0.05 };

function block(extra: Record<string, unknown> = {}, ctx = recordingContext()) {
  return {
    ctx,
    b: new OpenAIProvider(
      {
        name: "gen",
        type: "openai",
        model_id_or_path: "fake-model",
        base_url: fake.openaiBaseURL,
        api_key: "sk-batch",
        ...FAST,
        execution: "batch",
        batch: BATCH,
        ...extra,
      },
      ctx,
    ),
  };
}

const chat = (i: number) => ({
  input: [{ role: "user", content: `question ${i}` }],
  task_name: "t",
});

describe("batch execution through OpenAI's batch API (fake server, real SDK)", () => {
  it("sends rows of several calls as one batch and feeds answers back as online answers", async () => {
    const { b, ctx } = block();
    const [one, two] = await Promise.all([
      b.call([chat(0), chat(1)], { method: "chat_completion" }),
      b.call([chat(2)], { method: "chat_completion" }),
    ]);
    expect([...one!, ...two!].map((r) => r.result)).toEqual(
      [0, 1, 2].map((i) => ({ role: "assistant", content: `Answer to: question ${i}` })),
    );
    expect(one![0]!.addtl).toMatchObject({ prompt_tokens: 2, completion_tokens: 4 });
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 3, filesUploaded: 1 });
    expect(fake.stats().byPath["/v1/chat/completions"]).toBeUndefined();
    expect(ctx.observer.calls.map((c) => c.execution)).toEqual(["batch", "batch", "batch"]);
    const journal = readFileSync(process.env.DGT_BATCH_JOURNAL!, "utf8");
    expect(journal).not.toContain("sk-batch");
    expect(
      journal
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).op),
    ).toEqual(["intent", "submitted", "ended"]);
  });

  it("completion rows go by batch too, one line per row", async () => {
    const { b } = block();
    const rows = await b.call([{ input: "alpha beta" }, { input: "gamma" }]);
    expect(rows.map((r) => r.result)).toEqual(["Answer to: alpha beta", "Answer to: gamma"]);
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 2 });
  });

  it("retries requests a batch failed in the next batch, and failed rows keep their error", async () => {
    fake.configure({ batch: { failEvery: 2 } });
    const { b, ctx } = block({ max_retries: 3 });
    const rows = await b.call([0, 1, 2, 3].map(chat), { method: "chat_completion" });
    expect(rows.every((r) => r.error === undefined)).toBe(true);
    // 4 requests, 2 failed and resent, 1 of those failed again and resent.
    expect(fake.batchStats()).toMatchObject({ created: 3, requests: 7 });
    expect(ctx.observer.calls.map((c) => c.retries).sort()).toEqual([0, 0, 1, 2]);
  });

  it("retry_errors: online sends the requests a batch failed online", async () => {
    fake.configure({ batch: { failEvery: 2 } });
    const { b, ctx } = block({ batch: { ...BATCH, retry_errors: "online" } });
    const rows = await b.call([0, 1, 2, 3].map(chat), { method: "chat_completion" });
    expect(rows.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 4 });
    expect(fake.stats().byPath["/v1/chat/completions"]).toBe(2);
    expect(ctx.observer.calls.map((c) => c.execution ?? "online").sort()).toEqual([
      "batch",
      "batch",
      "online",
      "online",
    ]);
  });

  it("an expired batch's unanswered requests fail without retries and go into the next batch with them", async () => {
    fake.configure({ batch: { expire: true, expireAnswered: 0.5 } });
    const { b } = block({ max_retries: 0 });
    const rows = await b.call([0, 1].map(chat), { method: "chat_completion" });
    expect(rows[0]!.error).toBeUndefined();
    expect(rows[1]!.error).toMatch(/expired/);
    fake.configure({ batch: { expire: false } });
    const { b: again } = block({ max_retries: 1 });
    const retried = await again.call([2, 3].map(chat), { method: "chat_completion" });
    expect(retried.map((r) => r.error)).toEqual([undefined, undefined]);
  });

  it("malformed lines and unknown ids are counted and those rows retried", async () => {
    fake.configure({ batch: { malformedLines: 1, unknownIds: 2 } });
    const { b, ctx } = block({ max_retries: 2 });
    const rows = await b.call([0, 1, 2].map(chat), { method: "chat_completion" });
    // Every output file's first line is broken: the first row's answer never arrives, however often it is retried.
    expect(rows.map((r) => r.error)).toEqual([
      expect.stringMatching(/without an answer/),
      undefined,
      undefined,
    ]);
    expect(fake.batchStats()).toMatchObject({ created: 3, requests: 5 });
    expect(
      ctx.logger.warnings().some((w) => /1 malformed lines and 2 lines with unknown ids/.test(w)),
    ).toBe(true);
  });

  it("a rerun asks for the journaled batch instead of submitting again", async () => {
    fake.configure({ batch: { completionDelayMs: 60_000 } });
    const first = block();
    const controller = new AbortController();
    const pending = first.b.call([0, 1].map(chat), {
      method: "chat_completion",
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(fake.batchStats().created).toBe(1));
    controller.abort(new Error("killed"));
    await expect(pending).rejects.toThrow();
    expect(fake.batchStats().created).toBe(1);
    // A new process: the journal is read from disk again.
    BatchJournal.closeAll();
    fake.configure({ batch: { completionDelayMs: 0 } });
    const second = block();
    const rows = await second.b.call([0, 1].map(chat), { method: "chat_completion" });
    expect(rows.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(fake.batchStats().created).toBe(1);
    expect(second.ctx.logger.records.some((r) => /polling batch .* again/.test(r.message))).toBe(
      true,
    );
  });

  it("an endpoint without a batch API: a clear error with batch, online calls with auto", async () => {
    fake.configure({ batch: { unsupported: true } });
    const { b } = block();
    await expect(b.call([chat(0)], { method: "chat_completion" })).rejects.toBeInstanceOf(
      BatchUnsupportedError,
    );
    const auto = block({ execution: "auto", batch: { ...BATCH, online_first: 1 } });
    const rows = await auto.b.call([0, 1, 2].map(chat), { method: "chat_completion" });
    expect(rows.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect(fake.stats().byPath["/v1/chat/completions"]).toBe(3);
    expect(auto.ctx.logger.warnings().some((w) => /no openai batch API/.test(w))).toBe(true);
  });

  it("auto sends the first rows online and the rest by batch", async () => {
    const { b, ctx } = block({ execution: "auto", batch: { ...BATCH, online_first: 2 } });
    const rows = await b.call([0, 1, 2, 3, 4].map(chat), { method: "chat_completion" });
    expect(rows.map((r) => r.error)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(fake.stats().byPath["/v1/chat/completions"]).toBe(2);
    expect(fake.batchStats().requests).toBe(3);
    expect(ctx.observer.calls.map((c) => c.execution ?? "online").sort()).toEqual([
      "batch",
      "batch",
      "batch",
      "online",
      "online",
    ]);
  });

  it("a provider without a batch API refuses execution: batch at once", () => {
    expect(
      () =>
        new OllamaProvider(
          {
            name: "g",
            type: "ollama",
            model_id_or_path: "m",
            base_url: fake.url,
            execution: "batch",
          },
          recordingContext(),
        ),
    ).toThrow(BatchUnsupportedError);
  });
});

function anthropic(extra: Record<string, unknown> = {}, ctx = recordingContext()) {
  return {
    ctx,
    b: new AnthropicProvider(
      {
        name: "claude",
        type: "anthropic",
        model_id_or_path: "claude-x",
        base_url: fake.url,
        api_key: "sk-batch",
        max_tokens: 64,
        ...FAST,
        execution: "batch",
        batch: BATCH,
        ...extra,
      },
      ctx,
    ),
  };
}

describe("batch execution through Anthropic's Message Batches (fake server, real SDK)", () => {
  it("answers rows by one batch, with usage, system prompt and fan-out for n", async () => {
    const { b, ctx } = anthropic();
    const rows = await b.call(
      [
        {
          input: [
            { role: "system", content: "be brief" },
            { role: "user", content: "question 0" },
          ],
        },
        { ...chat(1), gen_kwargs: { n: 2 } },
      ],
      { method: "chat_completion" },
    );
    expect(rows[0]!.result).toEqual({ role: "assistant", content: "Answer to: question 0" });
    expect(rows[1]!.result).toEqual([
      { role: "assistant", content: "Answer to: question 1" },
      { role: "assistant", content: "Answer to: question 1" },
    ]);
    expect(rows[0]!.addtl).toMatchObject({ prompt_tokens: 4, completion_tokens: 4 });
    // Two samples of one prompt are two requests with distinct ids in the same batch.
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 3, resubmitted: 0 });
    expect(fake.stats().byPath["/v1/messages"]).toBeUndefined();
    expect(ctx.observer.calls.every((c) => c.execution === "batch" && c.ok)).toBe(true);
  });

  it("retries errored and expired requests in the next batch; a cancelled batch fails its rows", async () => {
    fake.configure({ batch: { failEvery: 2 } });
    const { b } = anthropic({ max_retries: 2 });
    const rows = await b.call([0, 1, 2].map(chat), { method: "chat_completion" });
    expect(rows.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
    expect(fake.batchStats()).toMatchObject({ created: 2, requests: 4 });

    fake.reset();
    fake.configure({ batch: { completionDelayMs: 60_000 } });
    const slow = anthropic();
    const pending = slow.b.call([chat(5)], { method: "chat_completion" });
    await vi.waitFor(() => expect(fake.batchStats().created).toBe(1));
    const [id] = fake.batchStats().ids;
    await fetch(`${fake.url}/v1/messages/batches/${id}/cancel`, {
      method: "POST",
      headers: { "x-api-key": "sk-batch" },
    });
    const [row] = await pending;
    expect(row!.error).toMatch(/cancelled/);
    expect(fake.batchStats().created).toBe(1);
    // A rerun sends the requests the cancelled batch never answered again.
    fake.configure({ batch: { completionDelayMs: 0 } });
    BatchJournal.closeAll();
    const [again] = await anthropic().b.call([chat(5)], { method: "chat_completion" });
    expect(again!.error).toBeUndefined();
    expect(fake.batchStats().created).toBe(2);
  });
});
