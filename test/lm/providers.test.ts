import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";
import { KEY, PROVIDERS } from "./providers.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: KEY });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  fake.configure({
    responses: ["Reply {{n}}: {{prompt}}"],
    latencyMs: 0,
    cap: 0,
    failures: [],
    retryAfterMs: 30,
  });
});

const chat = (text: string, task = "t") => ({
  input: [
    { role: "system", content: "be brief" },
    { role: "user", content: text },
  ],
  task_name: task,
});

describe.each(PROVIDERS)("$type against the fake server", (p) => {
  it("answers chat (and completion) with token usage", async () => {
    const ctx = recordingContext();
    const b = p.make(fake, FAST, ctx);
    const rows = await b.call([chat("alpha beta")], { method: "chat_completion" });
    expect(rows[0]!.error).toBeUndefined();
    expect(rows[0]!.result).toMatchObject({ role: "assistant", content: "Reply 1: alpha beta" });
    expect(rows[0]!.addtl).toMatchObject({ completion_tokens: 4 });
    expect((rows[0]!.addtl as { prompt_tokens: number }).prompt_tokens).toBeGreaterThanOrEqual(2);
    if (p.completion) {
      const done = await b.call([{ input: "one two" }]);
      expect(done[0]!.result).toBe("Reply 2: one two");
      expect(done[0]!.addtl).toMatchObject({ prompt_tokens: 2, completion_tokens: 4 });
    } else {
      await expect(b.call([{ input: "one two" }])).rejects.toThrow(
        /does not support method 'completion'/,
      );
    }
    expect(ctx.observer.calls.every((c) => c.ok && c.provider === p.type)).toBe(true);
    expect(ctx.telemetry.spans.filter((s) => s.name === "dgt.llm_call").length).toBe(
      p.completion ? 2 : 1,
    );
  });

  it.each([
    ["429", "429"],
    ["503", "5xx"],
    ["malformed", "parse"],
    ["reset", "connection"],
    ["hang", "timeout"],
  ] as const)("retries after an injected %s and succeeds", async (kind, reported) => {
    fake.configure({ failures: [{ kind, count: 1 }] });
    const ctx = recordingContext();
    const b = p.make(fake, { ...FAST, timeout: 0.3 }, ctx);
    const rows = await b.call([chat("gamma")], { method: "chat_completion" });
    expect(rows[0]!.error).toBeUndefined();
    expect(rows[0]!.result).toMatchObject({ content: "Reply 1: gamma" });
    expect(ctx.observer.calls[0]).toMatchObject({
      ok: true,
      retries: 1,
      attempt_errors: { [reported]: 1 },
    });
    expect(fake.stats().failuresInjected[kind]).toBe(1);
  });

  it("gives the row an error when every attempt fails, and the other rows go on", async () => {
    fake.configure({ failures: [{ kind: "500", count: 3 }] });
    const ctx = recordingContext();
    const b = p.make(fake, { ...FAST, max_retries: 2 }, ctx);
    const rows = await b.call([chat("first")], { method: "chat_completion" });
    expect(rows[0]!.result).toBeNull();
    expect(String(rows[0]!.error)).toMatch(/^5xx: 500/);
    const more = await b.call([chat("second"), chat("third")], { method: "chat_completion" });
    expect(more.map((r) => r.error)).toEqual([undefined, undefined]);
  });

  it("fails at once on a bad key (401/400), without the key anywhere", async () => {
    const ctx = recordingContext();
    const wrong = "sk-wrong-KEY-abcdefgh";
    const b = p.make(fake, { ...FAST, api_key: wrong }, ctx);
    const rows = await b.call([chat("delta")], { method: "chat_completion" });
    expect(rows[0]!.result).toBeNull();
    expect(String(rows[0]!.error)).toMatch(/^4xx: 40[01]/);
    expect(ctx.observer.calls[0]).toMatchObject({ ok: false, error_kind: "4xx", retries: 0 });
    expect(fake.stats().unauthorized).toBe(1);
    const everything =
      JSON.stringify(rows) +
      ctx.telemetry.dump() +
      JSON.stringify(ctx.logger.records) +
      JSON.stringify(ctx.observer.calls);
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(KEY);
  });

  it("caches answers in DiGiT's lm_cache database: the same call again sends nothing and returns the same", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "digit-lm-cache-")), "sub", "lm.sqlite");
    const config = { ...FAST, cache: undefined, lm_cache: file, force_cache: true };
    const first = await p
      .make(fake, config, recordingContext())
      .call([chat("cache me")], { method: "chat_completion" });
    const sent = fake.stats().completed;
    expect(sent).toBe(1);
    const ctx = recordingContext();
    const again = await p
      .make(fake, config, ctx)
      .call([chat("cache me")], { method: "chat_completion" });
    expect(fake.stats().completed).toBe(sent);
    expect(again[0]!.result).toEqual(first[0]!.result);
    expect(ctx.logger.warnings().join("\n")).not.toMatch(/lm_cache|force_cache/);
    expect(existsSync(file)).toBe(true);
  });

  it("accepts max_new_tokens in gen_kwargs and ignores another provider's keys with one warning", async () => {
    const ctx = recordingContext();
    const b = p.make(
      fake,
      { ...FAST, num_ctx: 4096, echo: true, decoding_method: "greedy", top_k: 5 },
      ctx,
    );
    await b.call(
      [
        { ...chat("eps"), gen_kwargs: { max_new_tokens: 7, bogus_key: 1 } },
        { ...chat("eps2"), gen_kwargs: { bogus_key: 2 } },
      ],
      { method: "chat_completion" },
    );
    const warnings = ctx.logger.warnings();
    expect(
      warnings.filter((w) => /ignores generation parameters/.test(w)).length,
    ).toBeLessThanOrEqual(1);
    expect(warnings.filter((w) => /bogus_key/.test(w))).toHaveLength(1);
    expect(warnings.join("\n")).not.toMatch(/max_new_tokens/);
  });
});
