import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBullmqExecutor } from "../../src/engine/executor/bullmq/coordinator.js";
import { type DigitWorker, startWorker } from "../../src/engine/executor/bullmq/worker.js";
import { RunMetrics } from "../../src/engine/metrics.js";
import { run } from "../../src/engine/run.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";
import { readJsonl, tempDir } from "./helpers.js";

const skip = redisSkipReason();

const TASK = `task_name: t/dist
data_builder: core/columns
runner_config: { num_outputs_to_generate: 12, seed_batch_size: 4 }
models: [{ name: writer, type: mock, responses: ["A {{ category }} question {{ n }}?"] }]
columns:
  - { name: category, type: sampler, sampler_type: category, params: { values: [billing, shipping] } }
  - { name: question, type: llm_text, model: writer, prompt: "Ask a {{ category }} question." }
  - { name: only_billing, type: validation, target_columns: [question], validator_type: regex, params: { pattern: billing }, filter: true }
`;

// Coordinator and a real worker in this process, on a real Redis.
describe.skipIf(skip !== "")("core/columns on a bullmq worker", () => {
  let redis: TestRedis;
  let worker: DigitWorker;

  beforeAll(async () => {
    redis = await startRedis();
    worker = await startWorker({
      url: redis.url,
      concurrency: 2,
      clusterLimits: false,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
  });

  it("records a worker's column refuses reach the coordinator's blocks/ file and its counts", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "task.yaml"), TASK);
    // As `digit run --executor` does: the coordinator counts what workers report into the run's metrics.
    const metrics = new RunMetrics();
    const executor = await createBullmqExecutor({
      url: redis.url,
      cwd: dir,
      seed: 3,
      observer: metrics,
      clusterLimits: false,
      logger: silentLogger,
    });
    const before = worker.processed;
    const result = await run({
      taskPaths: [join(dir, "task.yaml")],
      outputDir: join(dir, "out"),
      logger: silentLogger,
      cwd: dir,
      seed: 3,
      executor,
      metrics,
    }).finally(() => executor.close());
    expect(result.error).toBeUndefined();
    expect(worker.processed).toBeGreaterThan(before);
    const file = join(dir, "out/t/dist/blocks/only_billing.jsonl");
    expect(existsSync(file)).toBe(true);
    const refused = readJsonl(file);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.category === "shipping")).toBe(true);
    expect(result.metrics.task("t/dist").rejected).toEqual({ only_billing: refused.length });
  }, 60_000);
});
