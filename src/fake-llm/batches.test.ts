import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { toFile } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeLLM, startFakeLLM } from "./index.js";

let fake: FakeLLM | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function jsonl(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      custom_id: `r${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "m", messages: [{ role: "user", content: `question ${i}` }] },
    }),
  ).join("\n");
}

describe("fake LLM batch APIs through the real SDKs", () => {
  it("OpenAI: upload, create, poll until completed, download output and error files", async () => {
    fake = await startFakeLLM({
      responses: ["answer to {{prompt}}"],
      batch: { completionDelayMs: 150, failEvery: 3 },
    });
    const client = new OpenAI({ apiKey: "k", baseURL: fake.openaiBaseURL });
    const file = await client.files.create({
      file: await toFile(Buffer.from(jsonl(6)), "in.jsonl"),
      purpose: "batch",
    });
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { digit: "x" },
    });
    expect(created.status).toBe("in_progress");
    expect((await client.batches.retrieve(created.id)).status).toBe("in_progress");
    await new Promise((r) => setTimeout(r, 200));
    const done = await client.batches.retrieve(created.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 6, completed: 4, failed: 2 });
    const out = (await (await client.files.content(done.output_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((l) => l.custom_id)).toEqual(["r0", "r1", "r3", "r4"]);
    expect(out[0].response.body.choices[0].message.content).toBe("answer to question 0");
    const errors = (await (await client.files.content(done.error_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(errors.map((l) => [l.custom_id, l.response.status_code])).toEqual([
      ["r2", 500],
      ["r5", 500],
    ]);
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 6, filesUploaded: 1 });
  });

  it("OpenAI: an expired batch answers part of its requests; a cancelled one ends cancelled", async () => {
    fake = await startFakeLLM({ batch: { completionDelayMs: 10_000 } });
    const client = new OpenAI({ apiKey: "k", baseURL: fake.openaiBaseURL });
    const file = await client.files.create({
      file: await toFile(Buffer.from(jsonl(4)), "in.jsonl"),
      purpose: "batch",
    });
    const b = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const cancelled = await client.batches.cancel(b.id);
    expect(cancelled.status).toBe("cancelled");
    expect(fake.batchStats().cancelled).toBe(1);
    fake.configure({ batch: { expire: true, expireAnswered: 0.5 } });
    const e = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    const expired = await client.batches.retrieve(e.id);
    expect(expired.status).toBe("expired");
    const errs = (await (await client.files.content(expired.error_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(errs.map((l) => [l.custom_id, l.error.code])).toEqual([
      ["r2", "batch_expired"],
      ["r3", "batch_expired"],
    ]);
  });

  it("Anthropic: create, retrieve, results with succeeded and errored lines", async () => {
    fake = await startFakeLLM({ responses: ["hi {{prompt}}"], batch: { failEvery: 2 } });
    const client = new Anthropic({ apiKey: "k", baseURL: fake.url });
    const requests = [0, 1, 2].map((i) => ({
      custom_id: `c${i}`,
      params: {
        model: "m",
        max_tokens: 10,
        messages: [{ role: "user" as const, content: `q${i}` }],
      },
    }));
    const b = await client.messages.batches.create({ requests });
    const got = await client.messages.batches.retrieve(b.id);
    expect(got.processing_status).toBe("ended");
    expect(got.request_counts).toMatchObject({ succeeded: 2, errored: 1 });
    const lines = [];
    for await (const line of await client.messages.batches.results(b.id)) lines.push(line);
    expect(lines.map((l) => [l.custom_id, l.result.type])).toEqual([
      ["c0", "succeeded"],
      ["c1", "errored"],
      ["c2", "succeeded"],
    ]);
    const first = lines[0]!.result;
    expect(first.type === "succeeded" && first.message.content[0]).toMatchObject({
      type: "text",
      text: "hi q0",
    });
  });

  it("an endpoint without batch support answers 404 on the batch routes", async () => {
    fake = await startFakeLLM({ batch: { unsupported: true } });
    const client = new OpenAI({ apiKey: "k", baseURL: fake.openaiBaseURL, maxRetries: 0 });
    await expect(
      client.files.create({
        file: await toFile(Buffer.from(jsonl(1)), "in.jsonl"),
        purpose: "batch",
      }),
    ).rejects.toMatchObject({ status: 404 });
  });
});
