import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import { createBullmqExecutor } from "../../src/engine/executor/bullmq/coordinator.js";
import { type DigitWorker, startWorker } from "../../src/engine/executor/bullmq/worker.js";
import { run } from "../../src/engine/run.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";
import { PLUGINS, ROOT, readJsonl, TASKS, tempDir, writeOverride } from "./helpers.js";

const skip = redisSkipReason();
if (skip) console.warn(skip);

/** Every request reports 10 + 10 tokens: at 100 / 400 USD per 1M tokens, $0.005 each. */
const PER_REQUEST = 0.005;
const CAP = 0.05;

// Two workers (in this process, each with its own blocks and spending guard) share one budget
// through Redis: the run's cap holds for the cluster, not per worker.
describe.skipIf(skip !== "")("spending caps in distributed runs (real redis-server)", () => {
  let redis: TestRedis;
  let fake: FakeLLM;
  const workers: DigitWorker[] = [];
  const saved = { cache: process.env.DGT_CACHE, prices: process.env.DGT_PRICES_FILE };

  beforeAll(async () => {
    redis = await startRedis();
    fake = await startFakeLLM({
      latencyMs: 20,
      respond: (r) => `out ${r.prompt}`,
      usage: { prompt: 10, completion: 10 },
    });
    const dir = tempDir();
    const prices = join(dir, "prices.json");
    writeFileSync(
      prices,
      JSON.stringify({ providers: { openai: { "fake-model": { input: 100, output: 400 } } } }),
    );
    // Every request is paid (no response cache), and the coordinator reads this price file.
    process.env.DGT_CACHE = "off";
    process.env.DGT_PRICES_FILE = prices;
    for (let i = 0; i < 2; i++)
      workers.push(
        await startWorker({
          url: redis.url,
          concurrency: 4,
          pluginDirs: [PLUGINS],
          clusterLimits: false,
          logger: silentLogger,
        }),
      );
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await fake?.close();
    await redis?.stop();
    for (const [k, v] of [
      ["DGT_CACHE", saved.cache],
      ["DGT_PRICES_FILE", saved.prices],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });

  const distributed = async (out: string, override: string, maxCost: number | undefined) => {
    const executor = await createBullmqExecutor({
      url: redis.url,
      pluginDirs: [PLUGINS],
      cwd: ROOT,
      clusterLimits: false,
      logger: silentLogger,
    });
    try {
      return await run({
        taskPaths: TASKS,
        pluginDirs: [PLUGINS],
        configPath: override,
        outputDir: out,
        numOutputsToGenerate: 40,
        machineBatchSize: 0,
        maxCost,
        logger: silentLogger,
        cwd: ROOT,
        executor,
      });
    } finally {
      await executor.close();
      credentialPool().clear();
    }
  };

  it("stops the cluster at the run's cap (budget_exhausted), records the spend, and resumes with a higher cap", async () => {
    const dir = tempDir();
    // A small output limit makes a request's worst case close to what it costs.
    const override = writeOverride(dir, fake.openaiBaseURL, { max_tokens: 10, max_retries: 0 });
    const out = join(dir, "out");
    fake.reset();
    const capped = await distributed(out, override, CAP);
    expect(capped.error).toBeUndefined();
    expect(capped.outcomes.map((o) => o.status)).toEqual(["budget_exhausted", "budget_exhausted"]);
    expect(String((capped.outcomes[0]!.error as Error).message)).toMatch(
      /spending cap of \$0\.0500 \(--max-cost\) is reached/,
    );
    const sent = fake.stats().requests;
    expect(sent).toBeGreaterThan(0);
    // Both workers together stayed within the one cap (each alone could have spent all of it).
    expect(sent * PER_REQUEST).toBeLessThanOrEqual(CAP + 1e-9);
    const spentOf = (task: string) =>
      Number(readJsonl(join(out, task, "dataloader_state.jsonl")).at(-1)!.spent_usd ?? 0);
    expect(spentOf("dist/a") + spentOf("dist/b")).toBeCloseTo(sent * PER_REQUEST, 9);

    fake.reset();
    const resumed = await distributed(out, override, 100);
    expect(resumed.error).toBeUndefined();
    expect(resumed.outcomes.map((o) => o.status)).toEqual(["completed", "completed"]);
    const total = sent + fake.stats().requests;
    expect(spentOf("dist/a") + spentOf("dist/b")).toBeCloseTo(total * PER_REQUEST, 9);
  }, 60_000);

  it("without a cap the workers' spend is still counted in Redis and recorded in the checkpoints", async () => {
    const dir = tempDir();
    const override = writeOverride(dir, fake.openaiBaseURL, { max_tokens: 10, max_retries: 0 });
    const out = join(dir, "out");
    fake.reset();
    const result = await distributed(out, override, undefined);
    expect(result.outcomes.map((o) => o.status)).toEqual(["completed", "completed"]);
    const spent = ["dist/a", "dist/b"].map((t) =>
      Number(readJsonl(join(out, t, "dataloader_state.jsonl")).at(-1)!.spent_usd),
    );
    expect(spent[0]).toBeGreaterThan(0);
    expect(spent[0]! + spent[1]!).toBeCloseTo(fake.stats().requests * PER_REQUEST, 9);
  }, 60_000);
});
