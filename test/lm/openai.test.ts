import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: "sk-test-secret-123" });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.configure({
    responses: ["Answer {{n}} to: {{prompt}}"],
    latencyMs: 0,
    cap: 0,
    failures: [],
  });
});

function block(extra: Record<string, unknown> = {}, ctx = recordingContext()) {
  return {
    ctx,
    b: new OpenAIProvider(
      {
        name: "gen",
        type: "openai",
        model_id_or_path: "fake-model",
        base_url: fake.openaiBaseURL,
        api_key: "sk-test-secret-123",
        ...FAST,
        ...extra,
      },
      ctx,
    ),
  };
}

describe("openai provider against the fake server", () => {
  it("answers completion and chat with usage", async () => {
    const { b, ctx } = block();
    const rows = await b.call([{ input: "one two three" }]);
    expect(rows[0]!.result).toBe("Answer 1 to: one two three");
    expect(rows[0]!.addtl).toMatchObject({ prompt_tokens: 3, completion_tokens: 6 });
    const chat = await b.call(
      [{ input: [{ role: "user", content: "hello there" }], task_name: "t1" }],
      { method: "chat_completion" },
    );
    expect(chat[0]!.result).toEqual({ role: "assistant", content: "Answer 2 to: hello there" });
    expect(ctx.observer.calls.map((c) => c.ok)).toEqual([true, true]);
    expect(ctx.observer.calls[1]!.task_names).toEqual(["t1"]);
    const span = ctx.telemetry.spans.find(
      (s) => s.name === "dgt.llm_call" && s.attributes.method === "chat_completion",
    )!;
    expect(span.attributes).toMatchObject({
      provider: "openai",
      model_id: "fake-model",
      prompt_tokens: 2,
      completion_tokens: 5,
      retries: 0,
      status: "ok",
      task_names: ["t1"],
    });
    expect(span.parentName).toBe("dgt.block");
  });

  it("retries a 429 with Retry-After, a 500, a malformed body and a reset, then succeeds", async () => {
    for (const kind of ["429", "500", "malformed", "reset"] as const) {
      fake.reset();
      fake.configure({ failures: [{ kind, count: 1 }], retryAfterMs: 20 });
      const { b, ctx } = block();
      const rows = await b.call([{ input: "x" }]);
      expect(rows[0]!.result, kind).toBe("Answer 1 to: x");
      expect(rows[0]!.error).toBeUndefined();
      const report = ctx.observer.calls[0]!;
      expect(report.retries, kind).toBe(1);
      expect(Object.keys(report.attempt_errors ?? {}), kind).toEqual([
        { "429": "429", "500": "5xx", malformed: "parse", reset: "connection" }[kind],
      ]);
      expect(fake.stats().failuresInjected[kind]).toBe(1);
    }
  });

  it("times out a hanging request, retries, and fails the row when every attempt hangs", async () => {
    fake.configure({ failures: [{ kind: "hang", count: 1 }] });
    const { b } = block({ timeout: 0.2 });
    expect((await b.call([{ input: "x" }]))[0]!.result).toBe("Answer 1 to: x");
    fake.configure({ failures: [{ kind: "hang", count: 3 }] });
    const { b: b2, ctx } = block({ timeout: 0.2, max_retries: 2 });
    const rows = await b2.call([{ input: "y" }]);
    expect(fake.stats().failuresInjected.hang).toBe(4);
    const failed = rows.filter((r) => r.error);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.result).toBeNull();
    expect(String(failed[0]!.error)).toMatch(/^timeout: /);
    expect(ctx.observer.calls.find((c) => !c.ok)).toMatchObject({
      error_kind: "timeout",
      retries: 2,
    });
  });

  it("fails a 401 at once, with the key redacted", async () => {
    const { b, ctx } = block({ api_key: "sk-wrong-key-456" });
    const rows = await b.call([{ input: "x" }]);
    expect(rows[0]!.result).toBeNull();
    expect(String(rows[0]!.error)).toMatch(/^4xx: 401 /);
    expect(String(rows[0]!.error)).not.toContain("sk-wrong-key-456");
    expect(fake.stats().unauthorized).toBe(1);
    expect(ctx.observer.calls[0]).toMatchObject({ ok: false, error_kind: "4xx", retries: 0 });
    expect(ctx.telemetry.dump()).not.toContain("sk-wrong-key-456");
  });
});

describe("openai provider against answers of the wrong shape", () => {
  it("reports a choice without a message or text as a parse error, retried, not a crash", async () => {
    const { createServer } = await import("node:http");
    const bodies = [
      { choices: [{ index: 0, message: null }] },
      { choices: [{ index: 0, finish_reason: "stop" }] },
      {},
    ];
    let served = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(bodies[served++ % bodies.length]));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const b = new OpenAIProvider({
        name: "gen",
        type: "openai",
        model_id_or_path: "m",
        base_url: `http://127.0.0.1:${port}/v1`,
        api_key: "k",
        ...FAST,
        max_retries: 1,
        batch_size: 1,
      });
      const [chat] = await b.call([{ input: [{ role: "user", content: "q" }] }], {
        method: "chat_completion",
      });
      expect(chat!.error).toMatch(/^parse: .*has no message/);
      const [completion] = await b.call([{ input: "q" }]);
      expect(completion!.error).toMatch(/^parse: .*(has no text|returned 0 choices)/);
      expect(served).toBe(4); // each row tried twice (max_retries: 1)
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
