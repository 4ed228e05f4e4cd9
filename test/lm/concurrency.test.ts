import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OllamaProvider } from "../../src/blocks/lm/ollama/index.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

let fake: FakeLLM;
let other: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM();
  other = await startFakeLLM();
});
afterAll(async () => {
  await fake.close();
  await other.close();
});
beforeEach(() => {
  for (const f of [fake, other]) {
    f.reset();
    f.configure({ latencyMs: 15, jitterMs: 10, cap: 0, failures: [], retryAfterMs: 20 });
  }
});

const rows = (n: number, tag = "r") =>
  Array.from({ length: n }, (_, i) => ({ input: `${tag} ${i}`, task_name: tag }));
// One request per row (batch_size 1): these tests count requests in flight.
const openai = (
  ctx: ReturnType<typeof recordingContext>,
  extra: Record<string, unknown>,
  name = "gen",
) =>
  new OpenAIProvider(
    {
      name,
      type: "openai",
      model_id_or_path: "fake-model",
      base_url: fake.openaiBaseURL,
      api_key: "shared-key",
      batch_size: 1,
      ...FAST,
      ...extra,
    },
    ctx,
  );

describe("per-credential concurrency", () => {
  it("one block call keeps exactly `limit` requests in flight, and two blocks on one key share it", async () => {
    const ctx = recordingContext();
    const a = openai(ctx, { call_limit: 5 }, "a");
    const b = openai(ctx, { call_limit: 5 }, "b");
    const [ra, rb] = await Promise.all([a.call(rows(40, "a")), b.call(rows(40, "b"))]);
    expect([...ra, ...rb].every((r) => typeof r.result === "string")).toBe(true);
    expect(fake.stats().peakInFlight).toBe(5);
    expect(ctx.observer.peak).toBe(5);
    expect(a.limiter).toBe(b.limiter);
  });

  it("gives two blocks asking different limits the smaller one, with a warning", async () => {
    const ctx = recordingContext();
    const a = openai(ctx, { call_limit: 8 }, "a");
    const b = openai(ctx, { max_concurrent_requests: 3, call_limit: 50 }, "b");
    await Promise.all([a.call(rows(30, "a")), b.call(rows(30, "b"))]);
    expect(fake.stats().peakInFlight).toBe(3);
    expect(
      ctx.logger
        .warnings()
        .some((w) => /asks for 3 concurrent requests .* limited to 8 .* using 3/.test(w)),
    ).toBe(true);
  });

  it("gives each Ollama host its own limiter", async () => {
    const ctx = recordingContext();
    const a = new OllamaProvider(
      {
        name: "a",
        type: "ollama",
        model_id_or_path: "m",
        base_url: fake.url,
        call_limit: 4,
        ...FAST,
      },
      ctx,
    );
    const b = new OllamaProvider(
      {
        name: "b",
        type: "ollama",
        model_id_or_path: "m",
        base_url: other.url,
        call_limit: 4,
        ...FAST,
      },
      ctx,
    );
    await Promise.all([a.call(rows(24)), b.call(rows(24))]);
    expect(a.limiter).not.toBe(b.limiter);
    expect(fake.stats().peakInFlight).toBe(4);
    expect(other.stats().peakInFlight).toBe(4);
  });

  it("holds no slot while a retry sleeps", async () => {
    fake.configure({
      failures: [{ kind: "429", count: 1 }],
      retryAfterMs: 300,
      latencyMs: 0,
      jitterMs: 0,
    });
    const ctx = recordingContext();
    const a = openai(ctx, { call_limit: 1 });
    const done = await a.call([{ input: "first" }, { input: "second" }]);
    expect(done.map((r) => r.error)).toEqual([undefined, undefined]);
    // With the slot released during the 300 ms sleep, "second" is answered before "first".
    expect(ctx.observer.calls.map((c) => c.retries)).toEqual([0, 1]);
  });

  it("lowers the limit on 429s (adaptive) and raises it again when the endpoint recovers", async () => {
    fake.configure({ cap: 4 });
    const ctx = recordingContext();
    const a = openai(ctx, { call_limit: 16, max_retries: 10 });
    const first = await a.call(rows(80));
    expect(first.every((r) => typeof r.result === "string")).toBe(true);
    const stats = fake.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.rateLimited).toBeLessThan(60);
    const lowered = a.limiter.limit;
    expect(lowered).toBeLessThanOrEqual(6);
    fake.configure({ cap: 0 });
    await a.call(rows(300));
    expect(a.limiter.limit).toBeGreaterThan(lowered + 3);
    expect(a.limiter.limit).toBeLessThanOrEqual(16);
  });

  it("does not adapt when adaptive_concurrency is false", async () => {
    fake.configure({ cap: 4 });
    const ctx = recordingContext();
    const a = openai(ctx, { call_limit: 8, adaptive_concurrency: false, max_retries: 20 });
    await a.call(rows(24));
    expect(a.limiter.limit).toBe(8);
  });
});
