import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";
import {
  type CliProcess,
  cli,
  finalData,
  runArgs,
  startWorkerProcess,
  stop,
  tempDir,
  writeOverride,
} from "./helpers.js";

const skip = redisSkipReason();
const TARGET = 60;
/** Each endpoint's own `max_concurrent_requests`. */
const LIMITS = [2, 3];

// A block served by a pool of two endpoints, run by two worker processes that each run four units
// at once: every endpoint's limit holds for the cluster (one Redis semaphore per endpoint), not per
// worker. The fake servers count the peak of requests in flight.
describe.skipIf(skip !== "")("endpoint pools in distributed runs (real redis, 2 workers)", () => {
  let redis: TestRedis;
  let fakes: FakeLLM[];
  const workers: CliProcess[] = [];
  let override: string;
  const env = { DGT_CACHE: "off" };

  beforeAll(async () => {
    redis = await startRedis();
    fakes = await Promise.all(
      LIMITS.map(() => startFakeLLM({ latencyMs: 30, respond: (r) => `out ${r.prompt}` })),
    );
    override = writeOverride(tempDir(), fakes[0]!.openaiBaseURL, {
      max_retries: 0,
      // No adaptive growth or shrinking: the configured limits are what the test measures.
      adaptive_concurrency: false,
      endpoints: fakes.map((f, i) => ({
        base_url: f.openaiBaseURL,
        max_concurrent_requests: LIMITS[i],
      })),
    });
    workers.push(
      ...(await Promise.all([
        startWorkerProcess(redis.url, ["--concurrency", "4"], env),
        startWorkerProcess(redis.url, ["--concurrency", "4"], env),
      ])),
    );
  }, 30_000);

  afterAll(async () => {
    for (const w of workers) await stop(w);
    for (const f of fakes ?? []) await f.close();
    await redis?.stop();
  });

  it("each endpoint's peak in flight stays within its own limit across both workers", async () => {
    const out = join(tempDir(), "dist");
    const coordinator = cli(
      runArgs(out, override, [
        "--executor",
        redis.url,
        "--num-outputs-to-generate",
        String(TARGET),
        "--machine-batch-size",
        "0",
      ]),
      env,
    );
    expect(await coordinator.exited, coordinator.output()).toBe(0);
    for (const t of ["dist/a", "dist/b"]) expect(finalData(out, t)).toHaveLength(TARGET);
    fakes.forEach((f, i) => {
      const s = f.stats();
      expect(s.completed, `endpoint ${i} served requests`).toBeGreaterThan(0);
      expect(s.peakInFlight, `endpoint ${i}`).toBeLessThanOrEqual(LIMITS[i]!);
    });
    // Together they were busy beyond any one endpoint's limit (the pool was used, not one member).
    const sum = fakes.reduce((n, f) => n + f.stats().completed, 0);
    expect(sum).toBeGreaterThanOrEqual(2 * TARGET);
  }, 60_000);
});
