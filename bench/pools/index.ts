/**
 * Endpoint pools: throughput of one `openai` block spread over three fake servers against the same
 * block on one of them, measured in the same run (the baseline). Each server serves at most
 * LIMIT requests at once (it answers 429 above) with LATENCY_S per request, and the block may send
 * LIMIT per endpoint, so the ideal ratio is 3.0. Also printed: each server's peak in flight
 * (must stay within LIMIT) and the run with the middle server killed after a quarter of the
 * requests and restarted a second later (every request must still succeed).
 */
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import { type FakeLLM, startFakeLLM } from "../../test/support/fake-llm/index.js";

const LATENCY_S = 0.25;
const LIMIT = 16;
const REQUESTS = 960;
const KEY = "bench-pools-key";

async function servers(n: number): Promise<FakeLLM[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      startFakeLLM({
        apiKey: KEY,
        latencyMs: LATENCY_S * 1000,
        cap: LIMIT,
        responses: ["answer {{n}}"],
      }),
    ),
  );
}

async function timed(
  urls: string[],
  during?: () => Promise<void>,
): Promise<{ seconds: number; failed: number }> {
  credentialPool().clear();
  const block = new OpenAIProvider({
    name: "gen",
    type: "openai",
    model_id_or_path: "m",
    api_key: KEY,
    base_url: urls.length === 1 ? urls[0] : urls,
    max_concurrent_requests: LIMIT,
    batch_size: 1,
    max_retries: 5,
    retry_backoff: 0.05,
  });
  await block.open();
  const rows = Array.from({ length: REQUESTS }, (_, i) => ({ input: `prompt ${i}` }));
  const started = performance.now();
  const [out] = await Promise.all([block.call(rows), during?.()]);
  return {
    seconds: (performance.now() - started) / 1000,
    failed: out.filter((r) => r.error !== undefined).length,
  };
}

export async function run(): Promise<void> {
  const list = await servers(3);
  try {
    const one = await timed([list[0]!.openaiBaseURL]);
    for (const s of list) s.reset();
    const three = await timed(list.map((s) => s.openaiBaseURL));
    const ideal = REQUESTS / (LIMIT / LATENCY_S);
    console.log(
      `one endpoint:    ${one.seconds.toFixed(2)} s for ${REQUESTS} requests (ideal ${ideal.toFixed(2)} s), ${one.failed} failed`,
    );
    console.log(`three endpoints: ${three.seconds.toFixed(2)} s, ${three.failed} failed`);
    console.log(
      `throughput ratio, three endpoints / one: ${(one.seconds / three.seconds).toFixed(2)}x (ideal 3.00x)`,
    );
    console.log(
      `peak in flight per server (limit ${LIMIT}): ${list.map((s) => s.stats().peakInFlight).join(", ")}; 429s: ${list.map((s) => s.stats().rateLimited).join(", ")}`,
    );

    for (const s of list) s.reset();
    const port = Number(new URL(list[1]!.url).port);
    const failover = await timed(
      list.map((s) => s.openaiBaseURL),
      async () => {
        while (list[1]!.stats().completed < REQUESTS / 12)
          await new Promise((r) => setTimeout(r, 20));
        await list[1]!.close();
        await new Promise((r) => setTimeout(r, 1000));
        list[1] = await startFakeLLM({
          port,
          apiKey: KEY,
          latencyMs: LATENCY_S * 1000,
          cap: LIMIT,
          responses: ["answer {{n}}"],
        });
      },
    );
    console.log(
      `middle server killed and restarted: ${failover.seconds.toFixed(2)} s (${(failover.seconds / three.seconds).toFixed(2)}x the undisturbed pool), ${failover.failed} failed, restarted server answered ${list[1]!.stats().completed}`,
    );
  } finally {
    await Promise.all(list.map((s) => s.close().catch(() => undefined)));
  }
}
