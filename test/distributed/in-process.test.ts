import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBullmqExecutor } from "../../src/engine/executor/bullmq/coordinator.js";
import { type DigitWorker, startWorker } from "../../src/engine/executor/bullmq/worker.js";
import { run } from "../../src/engine/run.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";
import { readJsonl, tempDir } from "./helpers.js";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/engine");
const PLUGINS = join(FIXTURES, "plugins");
const skip = redisSkipReason();

// Coordinator and worker in this process (the worker is real, on the real queue): quick checks of
// the transformation path and of errors. Cluster limits stay off, as both sides share one pool here.
describe.skipIf(skip !== "")("bullmq executor, coordinator and worker in one process", () => {
  let redis: TestRedis;
  let worker: DigitWorker;

  beforeAll(async () => {
    redis = await startRedis();
    worker = await startWorker({
      url: redis.url,
      concurrency: 2,
      pluginDirs: [PLUGINS],
      clusterLimits: false,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
  });

  const distributed = async (taskPaths: string[], outputDir: string) => {
    const executor = await createBullmqExecutor({
      url: redis.url,
      pluginDirs: [PLUGINS],
      cwd: FIXTURES,
      clusterLimits: false,
      logger: silentLogger,
    });
    try {
      return await run({
        taskPaths,
        pluginDirs: [PLUGINS],
        outputDir,
        logger: silentLogger,
        cwd: FIXTURES,
        executor,
      });
    } finally {
      await executor.close();
    }
  };

  it("a transformation runs on the worker and writes what a local run writes", async () => {
    const task = join(FIXTURES, "tasks/transform.yaml");
    const dir = tempDir();
    await run({
      taskPaths: [task],
      pluginDirs: [PLUGINS],
      outputDir: join(dir, "local"),
      logger: silentLogger,
      cwd: FIXTURES,
    });
    const before = worker.processed;
    const result = await distributed([task], join(dir, "dist"));
    expect(result.error).toBeUndefined();
    const final = (d: string) => readJsonl(join(dir, d, "test/transform/final_data.jsonl"));
    expect(final("dist")).toEqual(final("local"));
    expect(final("dist")).toHaveLength(7);
    // 7 rows in batches of 3: three units ran on the worker.
    expect(worker.processed - before).toBe(3);
  });

  it("a builder that throws on a worker fails the run with the worker's message", async () => {
    const dir = tempDir();
    const task = join(dir, "task.yaml");
    writeFileSync(
      task,
      [
        "task_name: test/fails",
        "data_builder: test/echo_gen",
        "fail_on_batch: 1",
        "seed_examples: [{text: s1}, {text: s2}]",
      ].join("\n"),
    );
    const result = await distributed([task], join(dir, "out"));
    expect(String((result.error as Error | undefined)?.message)).toMatch(
      /builder 'test\/echo_gen' failed on a worker \(unit test_echo_gen-[0-9a-f]+-0-[0-9a-f]+\): builder failure on batch 1/,
    );
    expect(result.outcomes[0]?.status).toBe("errored");
  });

  it("an unreachable Redis is a user error with the fix", async () => {
    const { freePort } = await import("../support/redis.js");
    const port = await freePort();
    await expect(
      createBullmqExecutor({ url: `redis://127.0.0.1:${port}`, logger: silentLogger }),
    ).rejects.toMatchObject({ code: "DIGIT_REDIS_UNREACHABLE" });
  });
});
