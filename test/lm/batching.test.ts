import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { RunMetrics } from "../../src/engine/metrics.js";
import type { Row } from "../../src/util/mapping.js";
import { type FakeLLM, type FakeRequest, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";
import { KEY, PROVIDERS } from "./providers.js";

let fake: FakeLLM;
let seen: FakeRequest[] = [];
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: KEY });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  seen = [];
  fake.configure({
    responses: ["Answer to: {{prompt}}"],
    rules: [],
    latencyMs: 0,
    cap: 0,
    failures: [],
    retryAfterMs: 20,
    respond: (r) => {
      seen.push(r);
      return undefined as never;
    },
  });
});
afterEach(() => vi.unstubAllEnvs());

const OPENAI_LIKE = PROVIDERS.filter((p) =>
  ["openai", "azure-openai", "vllm-server"].includes(p.type),
);
const openai = PROVIDERS.find((p) => p.type === "openai")!;
const make = (extra: Record<string, unknown> = {}, ctx = recordingContext()) => ({
  ctx,
  b: openai.make(fake, { ...FAST, ...extra }, ctx),
});

/** Rows with pass-through fields; prompts of 1 to 4 words so token shares differ. */
const rows = (count: number, tag = "p") =>
  Array.from({ length: count }, (_, i) => ({
    input: `${tag}${i}${" w".repeat(i % 4)}`,
    id: i,
    task_name: i % 2 ? "odd" : "even",
    keep: { nested: [i] },
  }));
/** The prompts of each request the server answered, in arrival order. */
const requests = () => {
  const byId = new Map<unknown, FakeRequest[]>();
  for (const r of seen) {
    const key = r.body; // one body object per HTTP request
    if (!byId.has(key)) byId.set(key, []);
    byId.get(key)!.push(r);
  }
  return [...byId.values()];
};
const sum = (list: Row[], key: "prompt_tokens" | "completion_tokens") =>
  list.reduce((s, r) => s + Number((r.addtl as Row)[key]), 0);

describe.each(OPENAI_LIKE)("$type completion batching", (p) => {
  it("sends 25 rows as 3 requests of at most 10 prompts, in order, answering as unbatched requests do", async () => {
    const ctx = recordingContext();
    const out = await p.make(fake, FAST, ctx).call(rows(25));
    expect(fake.stats().completed).toBe(3);
    expect(fake.stats().prompts).toBe(25);
    expect(
      requests()
        .map((r) => r.length)
        .sort((a, c) => a - c),
    ).toEqual([5, 10, 10]);
    const prompts = requests()
      .map((r) => r[0]!.body.prompt as string[])
      .sort(
        (x, y) =>
          rows(25).findIndex((r) => r.input === x[0]) - rows(25).findIndex((r) => r.input === y[0]),
      );
    expect(prompts).toEqual(
      [rows(25).slice(0, 10), rows(25).slice(10, 20), rows(25).slice(20)].map((c) =>
        c.map((r) => r.input),
      ),
    );
    expect(out.map((r) => r.id)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(out.map((r) => r.keep)).toEqual(Array.from({ length: 25 }, (_, i) => ({ nested: [i] })));
    expect(out.every((r) => r.error === undefined)).toBe(true);

    fake.reset();
    const single = await p
      .make(fake, { ...FAST, batch_size: 1 }, recordingContext())
      .call(rows(25));
    expect(fake.stats().completed).toBe(25);
    expect(out.map((r) => r.result)).toEqual(single.map((r) => r.result));
    expect(out[7]!.result).toBe(`Answer to: ${rows(25)[7]!.input}`);

    // One span and one report per request, with its prompt count and both tasks.
    const spans = ctx.telemetry.spans.filter((s) => s.name === "dgt.llm_call");
    expect(spans.map((s) => Number(s.attributes.batch_size)).sort((a, c) => a - c)).toEqual([
      5, 10, 10,
    ]);
    expect(spans.every((s) => s.attributes.status === "ok")).toBe(true);
    expect(spans.map((s) => (s.attributes.task_names as string[]).slice().sort())).toEqual([
      ["even", "odd"],
      ["even", "odd"],
      ["even", "odd"],
    ]);
    expect(ctx.observer.calls).toHaveLength(3);
  });
});

describe("completion batching (openai)", () => {
  it("does not mix rows whose effective parameters differ, and groups equal ones written differently", async () => {
    const { b } = make();
    const input: Row[] = [];
    for (let i = 0; i < 12; i++) {
      const gen_kwargs = [
        { temperature: 0, stop: ["END"] },
        { stop: ["END"], temperature: 0 },
        { temperature: 0.5, stop: ["END"] },
        { temperature: 0.5, stop: ["END"], max_new_tokens: 9 },
      ][i % 4];
      input.push({
        input: `q${i}`,
        id: i,
        gen_kwargs:
          i % 4 === 3 && i > 4 ? { temperature: 0.5, stop: ["END"], max_tokens: 9 } : gen_kwargs,
      });
    }
    const out = await b.call(input);
    expect(out.map((r) => r.result)).toEqual(input.map((r) => `Answer to: ${String(r.input)}`));
    // temperature 0 (two key orders), temperature 0.5, and 0.5 with 9 tokens (alias or not).
    const groups = requests().map((r) =>
      r.map((x) => Number(x.prompt.slice(1))).sort((a, c) => a - c),
    );
    expect(groups.sort((a, c) => a[0]! - c[0]!)).toEqual([
      [0, 1, 4, 5, 8, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
    for (const r of requests()) {
      const temps = new Set(r.map((x) => x.body.temperature));
      expect(temps.size).toBe(1);
      expect(r[0]!.body.temperature).toBe(Number(r[0]!.prompt.slice(1)) % 4 < 2 ? 0 : 0.5);
    }
  });

  it("gives each row its n outputs when n > 1", async () => {
    fake.configure({
      respond: (r) => {
        seen.push(r);
        return `${r.prompt}/${r.n}`;
      },
    });
    const { b } = make();
    const out = await b.call(
      Array.from({ length: 5 }, (_, i) => ({ input: `r${i}`, gen_kwargs: { n: 2 } })),
    );
    expect(fake.stats().completed).toBe(1);
    expect(seen[0]!.body).toMatchObject({ n: 2, prompt: ["r0", "r1", "r2", "r3", "r4"] });
    expect(out.map((r) => r.result)).toEqual(
      Array.from({ length: 5 }, (_, i) => [`r${i}/${2 * i + 1}`, `r${i}/${2 * i + 2}`]),
    );
  });

  it("splits a batched response's usage over its rows so the sums equal what the server reported", async () => {
    const ctx = recordingContext();
    const { b } = make({}, ctx);
    const input = [{ input: "a" }, { input: "b c" }, { input: "d e f g" }];
    const out = await b.call(input);
    // 7 prompt tokens over 3 rows: the remainder goes to the first rows.
    expect(out.map((r) => (r.addtl as Row).prompt_tokens)).toEqual([3, 2, 2]);
    const many = await b.call(rows(23));
    const all = [...out, ...many];
    const stats = fake.stats();
    expect(sum(all, "prompt_tokens")).toBe(stats.promptTokens);
    expect(sum(all, "completion_tokens")).toBe(stats.completionTokens);
    const spans = ctx.telemetry.spans.filter((s) => s.name === "dgt.llm_call");
    expect(spans.reduce((s, x) => s + Number(x.attributes.prompt_tokens), 0)).toBe(
      stats.promptTokens,
    );
    expect(ctx.observer.calls.reduce((s, c) => s + c.completion_tokens, 0)).toBe(
      stats.completionTokens,
    );
  });

  it("counts a request shared by two tasks for each by its rows, with each task's exact tokens", async () => {
    const ctx = recordingContext();
    const { b } = make({}, ctx);
    const out = await b.call(rows(10)); // one request: 5 rows of task "even", 5 of "odd"
    expect(ctx.observer.calls).toHaveLength(1);
    const usage = ctx.observer.calls[0]!.task_usage!;
    for (const task of ["even", "odd"]) {
      const mine = out.filter((r) => r.task_name === task);
      expect(usage[task]).toEqual({
        rows: 5,
        prompt_tokens: sum(mine, "prompt_tokens"),
        completion_tokens: sum(mine, "completion_tokens"),
      });
    }
    const metrics = new RunMetrics();
    metrics.llmCall(ctx.observer.calls[0]!);
    expect(metrics.task("even").promptTokens).toBe(usage.even!.prompt_tokens);
    expect(metrics.task("odd").promptTokens).toBe(usage.odd!.prompt_tokens);
    expect(metrics.task("even").promptTokens).not.toBe(metrics.task("odd").promptTokens); // prompts of different lengths
    expect(metrics.task("even").promptTokens + metrics.task("odd").promptTokens).toBe(
      fake.stats().promptTokens,
    );
    expect(metrics.task("even").requests).toBe(0.5);
  });

  it("gives every row of a chunk a parse error when the choice count does not match, and retries that first", async () => {
    fake.configure({ failures: [{ kind: "short", count: 1 }] });
    const { b } = make();
    const recovered = await b.call(rows(4));
    expect(recovered.every((r) => r.error === undefined && typeof r.result === "string")).toBe(
      true,
    );
    expect(fake.stats().completed).toBe(2);

    fake.reset();
    fake.configure({ failures: [{ kind: "short", count: 2 }] });
    const ctx = recordingContext();
    const { b: b2 } = make({ max_retries: 1 }, ctx);
    const out = await b2.call(rows(4));
    expect(fake.stats().failuresInjected.short).toBe(2);
    expect(out.map((r) => r.result)).toEqual([null, null, null, null]);
    for (const r of out)
      expect(String(r.error)).toMatch(/^parse: .*3 choices for 4 prompts × n=1 \(expected 4\)/);
    expect(out.map((r) => r.keep)).toEqual(rows(4).map((r) => r.keep));
    expect(ctx.observer.calls).toEqual([
      expect.objectContaining({ ok: false, error_kind: "parse", retries: 1 }),
    ]);
  });

  it("retries a chunk that got a 500 as one request, and fails all its rows when every attempt fails", async () => {
    fake.configure({ failures: [{ kind: "500", count: 1 }] });
    const ctx = recordingContext();
    const { b } = make({}, ctx);
    const out = await b.call(rows(25));
    expect(out.map((r) => r.result)).toEqual(rows(25).map((r) => `Answer to: ${r.input}`));
    expect(fake.stats().requests).toBe(4);
    expect(fake.stats().prompts).toBe(25);
    expect(ctx.observer.calls.map((c) => c.retries).sort()).toEqual([0, 0, 1]);
    expect(ctx.observer.calls.find((c) => c.retries === 1)).toMatchObject({
      ok: true,
      attempt_errors: { "5xx": 1 },
    });

    fake.reset();
    fake.configure({ failures: [{ kind: "500", count: 2 }] });
    const { b: b2 } = make({ max_retries: 1 });
    const failed = await b2.call(rows(3));
    expect(fake.stats().requests).toBe(2);
    expect(failed.map((r) => r.result)).toEqual([null, null, null]);
    for (const r of failed) expect(String(r.error)).toMatch(/^5xx: 500/);
  });

  it("records a batched request's prompts and completions as lists when payloads are recorded", async () => {
    vi.stubEnv("DGT_TELEMETRY_RECORD_PAYLOADS", "true");
    const ctx = recordingContext();
    const { b } = make({}, ctx);
    await b.call([{ input: "x1" }, { input: "x2" }]);
    const span = ctx.telemetry.spans.find((s) => s.name === "dgt.llm_call")!;
    expect(JSON.parse(String(span.attributes.prompt))).toEqual(["x1", "x2"]);
    expect(JSON.parse(String(span.attributes.completion))).toEqual([
      "Answer to: x1",
      "Answer to: x2",
    ]);
  });
});

describe("one request per row", () => {
  it("with batch_size 1", async () => {
    const { b } = make({ batch_size: 1 });
    const out = await b.call(rows(7));
    expect(fake.stats().completed).toBe(7);
    expect(seen.every((r) => typeof r.body.prompt === "string")).toBe(true);
    expect(out.map((r) => r.result)).toEqual(rows(7).map((r) => `Answer to: ${r.input}`));
  });

  it("for chat, whatever batch_size says", async () => {
    const { b } = make({ batch_size: 10 });
    await b.call(
      Array.from({ length: 4 }, (_, i) => ({ input: [{ role: "user", content: `c${i}` }] })),
      { method: "chat_completion" },
    );
    expect(fake.stats().completed).toBe(4);
  });

  it.each(["ollama", "anthropic", "watsonx"])(
    "for %s (batch_size is forced to 1)",
    async (type) => {
      const p = PROVIDERS.find((x) => x.type === type)!;
      const b = p.make(fake, { ...FAST, batch_size: 10 }, recordingContext());
      expect(b.batchLimit("completion")).toBe(1);
      const method = p.completion ? "completion" : "chat_completion";
      const input = (i: number) => (p.completion ? `o${i}` : [{ role: "user", content: `o${i}` }]);
      const out = await b.call(
        Array.from({ length: 4 }, (_, i) => ({ input: input(i) })),
        { method },
      );
      expect(out.every((r) => r.error === undefined)).toBe(true);
      expect(fake.stats().completed).toBe(4);
    },
  );
});
