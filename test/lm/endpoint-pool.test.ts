import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { EndpointsUnreachableError } from "../../src/errors.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

const servers: FakeLLM[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close().catch(() => undefined)));
});

async function fakes(
  n: number,
  options: Parameters<typeof startFakeLLM>[0] = {},
): Promise<FakeLLM[]> {
  const list = await Promise.all(
    Array.from({ length: n }, () => startFakeLLM({ responses: ["ok {{prompt}}"], ...options })),
  );
  servers.push(...list);
  return list;
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ input: `p${i}` }));

function pooled(urls: string[], extra: Record<string, unknown> = {}, ctx = recordingContext()) {
  return {
    ctx,
    b: new OpenAIProvider(
      {
        name: "gen",
        type: "openai",
        model_id_or_path: "m",
        api_key: "k",
        ...FAST,
        batch_size: 1,
        max_concurrent_requests: 4,
        base_url: urls,
        ...extra,
      },
      ctx,
    ),
  };
}

describe("endpoint pools (base_url list / endpoints:)", () => {
  it("spreads requests over the endpoints, each within its own limit", async () => {
    const list = await fakes(3, { latencyMs: 20 });
    const { b } = pooled(list.map((f) => f.openaiBaseURL));
    await b.open();
    const out = await b.call(rows(120));
    expect(out.every((r) => r.error === undefined)).toBe(true);
    const served = list.map((f) => f.stats().completed);
    expect(served.reduce((s, x) => s + x, 0)).toBe(120);
    expect(Math.min(...served)).toBeGreaterThan(20);
    for (const f of list) expect(f.stats().peakInFlight).toBeLessThanOrEqual(4);
  });

  it("an endpoint killed mid-run is taken out, gets nothing while down, and is probed back in after its restart", async () => {
    const list = await fakes(3, { latencyMs: 20 });
    const port = Number(new URL(list[1]!.url).port);
    const { b, ctx } = pooled(list.map((f) => f.openaiBaseURL));
    await b.open();
    const running = b.call(rows(1200));
    await vi.waitFor(() => expect(list[1]!.stats().completed).toBeGreaterThan(5));
    const servedBeforeKill = list[1]!.stats().completed;
    await list[1]!.close();
    await new Promise((r) => setTimeout(r, 300));
    const restarted = await startFakeLLM({ port, responses: ["ok {{prompt}}"], latencyMs: 20 });
    servers.push(restarted);
    const out = await running;
    expect(out.every((r) => r.error === undefined)).toBe(true);
    expect(servedBeforeKill).toBeGreaterThan(0);
    expect(ctx.logger.warnings().some((w) => /taken out of the pool/.test(w))).toBe(true);
    // No request failed: those refused by the dead endpoint went to another one at once.
    expect(ctx.observer.calls.every((c) => c.ok && c.retries === 0)).toBe(true);
    expect(restarted.stats().completed).toBeGreaterThan(0);
    for (const f of [list[0]!, list[2]!, restarted])
      expect(f.stats().peakInFlight).toBeLessThanOrEqual(4);
  });

  it("endpoints: with their own keys and limits; duplicates and unreachable entries warn, none reachable is an error", async () => {
    const [a, c] = await Promise.all([
      startFakeLLM({ apiKey: "key-a" }),
      startFakeLLM({ apiKey: "key-c" }),
    ]);
    servers.push(a!, c!);
    const dead = `http://127.0.0.1:${await deadPort()}/v1`;
    const { b, ctx } = pooled([], {
      base_url: undefined,
      api_key: "key-a",
      endpoints: [
        { base_url: a!.openaiBaseURL, max_concurrent_requests: 2 },
        { base_url: a!.openaiBaseURL },
        { base_url: dead },
        { base_url: c!.openaiBaseURL, api_key: "key-c", max_concurrent_requests: 3 },
      ],
    });
    await b.open();
    const out = await b.call(rows(30));
    expect(out.every((r) => r.error === undefined)).toBe(true);
    expect(a!.stats().unauthorized + c!.stats().unauthorized).toBe(0);
    expect(a!.stats().completed + c!.stats().completed).toBe(30);
    expect(a!.stats().peakInFlight).toBeLessThanOrEqual(2);
    expect(c!.stats().peakInFlight).toBeLessThanOrEqual(3);
    expect(ctx.logger.warnings().some((w) => /listed twice/.test(w))).toBe(true);
    expect(ctx.logger.warnings().some((w) => w.includes(dead) && /taken out/.test(w))).toBe(true);

    const none = pooled([dead, `http://127.0.0.1:${await deadPort()}/v1`]);
    await expect(none.b.open()).rejects.toBeInstanceOf(EndpointsUnreachableError);
    // `digit validate` creates blocks without contacting any endpoint.
    const validating = pooled(
      [dead, `http://127.0.0.1:${await deadPort()}/v1`],
      {},
      { ...recordingContext(), validating: true },
    );
    await expect(validating.b.open()).resolves.toBeUndefined();
  });
});
