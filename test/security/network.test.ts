/**
 * Hostile answers from an LLM endpoint: compressed bodies that expand past the response cap
 * (zip bombs), encodings digit cannot decode, absurd token usage, and an endpoint that throws
 * many 429s and other faults at once.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { constants, createBrotliCompress, createDeflate, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lmFetch } from "../../src/blocks/lm/http.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { RunMetrics } from "../../src/engine/metrics.js";
import { FAST, recordingContext } from "../lm/helpers.js";
import { PROVIDERS } from "../lm/providers.js";
import { startFakeLLM } from "../support/fake-llm/index.js";

const MiB = 2 ** 20;

/** `mib` MiB of zeros compressed as a stream (the test never holds the expanded bytes). */
async function compressedZeros(coding: "deflate" | "br", mib: number): Promise<Buffer> {
  const z =
    coding === "deflate"
      ? createDeflate({ level: 1 })
      : createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1 } });
  const out: Buffer[] = [];
  z.on("data", (c: Buffer) => out.push(c));
  const ended = new Promise((r) => z.on("end", r));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < mib; i++) if (!z.write(zeros)) await new Promise((r) => z.once("drain", r));
  z.end();
  await ended;
  return Buffer.concat(out);
}

/** A gzip body of `mib` MiB of zeros: one small gzip member of 1 MiB, repeated (a multi-member gzip stream). */
function gzipBomb(mib: number): Buffer {
  const member = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: mib }, () => member));
}

let server: http.Server;
let base = "";
let hits = 0;
const bodies = new Map<string, { encoding: string; body: Buffer }>();

beforeAll(async () => {
  bodies.set("/gzip-1g", { encoding: "gzip", body: gzipBomb(1024) });
  bodies.set("/gzip-128m/v1/chat/completions", { encoding: "gzip", body: gzipBomb(128) });
  bodies.set("/deflate-100m", { encoding: "deflate", body: await compressedZeros("deflate", 100) });
  bodies.set("/br-100m", { encoding: "br", body: await compressedZeros("br", 100) });
  bodies.set("/zstd", {
    encoding: "zstd",
    body: Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]),
  });
  server = http.createServer((req, res) => {
    hits++;
    req.resume();
    req.on("end", () => {
      const bomb = bodies.get(req.url ?? "");
      if (!bomb) return res.writeHead(404).end();
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": bomb.encoding,
        "content-length": bomb.body.length,
      });
      res.end(bomb.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("compressed answers are capped after decoding", () => {
  it("fails a 1 MiB gzip body that expands to 1 GiB with the cap error, and memory stays bounded", async () => {
    expect(bodies.get("/gzip-1g")!.body.length).toBeLessThan(2 * MiB);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    await expect(lmFetch(`${base}/gzip-1g`)).rejects.toMatchObject({
      code: "DIGIT_RESPONSE_TOO_LARGE",
      message: expect.stringMatching(/64 MiB once decoded \(gzip\)/),
    });
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - Math.max(peakBefore, rssBefore);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    // The cap is 64 MiB; decoding 1 GiB in one piece took over 1 GB.
    expect(Math.max(peakGrowth, rssGrowth)).toBeLessThan(300 * MiB);
  });

  it("caps deflate and brotli bodies the same way", async () => {
    await expect(lmFetch(`${base}/deflate-100m`)).rejects.toMatchObject({
      code: "DIGIT_RESPONSE_TOO_LARGE",
      message: expect.stringContaining("(deflate)"),
    });
    await expect(lmFetch(`${base}/br-100m`)).rejects.toMatchObject({
      code: "DIGIT_RESPONSE_TOO_LARGE",
      message: expect.stringContaining("(br)"),
    });
  });

  it("refuses an encoding it cannot decode instead of handing the SDK compressed bytes", async () => {
    await expect(lmFetch(`${base}/zstd`)).rejects.toMatchObject({
      code: "DIGIT_UNSUPPORTED_ENCODING",
      message: expect.stringContaining("'zstd'"),
    });
  });

  it("makes a bomb from an LLM endpoint a failed row counted as a malformed answer, not retried", async () => {
    const ctx = recordingContext();
    const block = new OpenAIProvider(
      {
        name: "gen",
        type: "openai",
        model_id_or_path: "m",
        base_url: `${base}/gzip-128m/v1`,
        api_key: "k",
        ...FAST,
      },
      ctx,
    );
    hits = 0;
    const [row] = await block.call([{ input: [{ role: "user", content: "hi" }] }], {
      method: "chat_completion",
    });
    expect(row!.result).toBeNull();
    expect(row!.error).toMatch(/^parse: .*larger than 64 MiB once decoded/);
    expect(hits).toBe(1);
    expect(ctx.observer.calls.map((c) => [c.ok, c.error_kind])).toEqual([[false, "parse"]]);
  });
});

describe("token usage an endpoint reports is checked, not trusted", () => {
  const LIES: { prompt?: unknown; completion?: unknown }[] = [
    { prompt: -3_000_000_000_000, completion: 5 },
    { prompt: 7, completion: 1e15 },
    { prompt: 2.5, completion: 3 },
    { prompt: "12", completion: 3 },
    { prompt: 4, completion: 10_000_001 },
  ];

  for (const p of PROVIDERS) {
    it(`${p.type}: keeps the answer, ignores the usage and counts a malformed answer`, async () => {
      const fake = await startFakeLLM({ apiKey: "sk-fake-SECRET-0123456789" });
      try {
        for (const lie of LIES) {
          fake.configure({ usage: lie });
          const ctx = recordingContext();
          const metrics = new RunMetrics();
          ctx.observer = Object.assign(ctx.observer, {
            llmCall: (r: Parameters<RunMetrics["llmCall"]>[0]) => metrics.llmCall(r),
          });
          const block = p.make(fake, { ...FAST, batch_size: 1 }, ctx);
          const [row] = await block.call(
            [{ input: [{ role: "user", content: "hi" }], task_name: "t" }],
            { method: "chat_completion" },
          );
          const what = `${p.type} ${JSON.stringify(lie)}`;
          expect(row!.error, what).toBeUndefined();
          expect(row!.result, what).toBeTruthy();
          expect(row!.addtl, what).toMatchObject({ prompt_tokens: 0, completion_tokens: 0 });
          const m = metrics.task("t");
          expect(
            [m.promptTokens, m.completionTokens, m.failures.parse, m.failedRequests],
            what,
          ).toEqual([0, 0, 1, 0]);
          expect(
            ctx.logger.warnings().filter((w) => /ignored the token usage/.test(w)),
            what,
          ).toHaveLength(1);
        }
      } finally {
        await fake.close();
      }
    });
  }

  it("checks the total of a batched request, split over its prompts, too", async () => {
    const fake = await startFakeLLM({ apiKey: "k" });
    try {
      for (const lie of [{ prompt: -9 }, { prompt: 25_000_000 }, { prompt: 0.5 }]) {
        fake.configure({ usage: lie });
        const ctx = recordingContext();
        const block = new OpenAIProvider(
          {
            name: "gen",
            type: "openai",
            model_id_or_path: "m",
            base_url: fake.openaiBaseURL,
            api_key: "k",
            batch_size: 4,
            ...FAST,
          },
          ctx,
        );
        const rows = await block.call(["a", "b", "c", "d"].map((input) => ({ input })));
        expect(
          rows.map((r) => typeof r.result),
          JSON.stringify(lie),
        ).toEqual(["string", "string", "string", "string"]);
        expect(
          rows.map((r) => (r.addtl as { prompt_tokens: number }).prompt_tokens),
          JSON.stringify(lie),
        ).toEqual([0, 0, 0, 0]);
        expect(
          ctx.observer.calls.map((c) => [c.prompt_tokens, c.attempt_errors]),
          JSON.stringify(lie),
        ).toEqual([[0, { parse: 1 }]]);
      }
    } finally {
      await fake.close();
    }
  });

  it("believes plausible usage", async () => {
    const fake = await startFakeLLM({ apiKey: "k", usage: { prompt: 10_000_000, completion: 0 } });
    try {
      const ctx = recordingContext();
      const block = new OpenAIProvider(
        {
          name: "gen",
          type: "openai",
          model_id_or_path: "m",
          base_url: fake.openaiBaseURL,
          api_key: "k",
          ...FAST,
        },
        ctx,
      );
      const [row] = await block.call([{ input: "a" }]);
      expect(row!.addtl).toMatchObject({ prompt_tokens: 10_000_000, completion_tokens: 0 });
      expect(ctx.observer.calls[0]!.attempt_errors).toEqual({});
    } finally {
      await fake.close();
    }
  });
});
