import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  KEY_PREFIX,
  PROTOCOL_VERSION,
  QUEUE_NAME,
  redisConnection,
  type UnitData,
  type UnitResult,
} from "../../src/engine/executor/bullmq/protocol.js";
import { UnitTracker } from "../../src/engine/executor/bullmq/unit-tracker.js";
import { RedisLostError } from "../../src/errors.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { redisSkipReason, startRedis } from "../support/redis.js";

const CONTEXT = { key: `${KEY_PREFIX}:ctx:test`, json: JSON.stringify({ builder: "test" }) };

function unit(seq: number): UnitData {
  return {
    version: PROTOCOL_VERSION,
    context: "test",
    kind: "generation",
    requestIdx: seq,
    seq,
    runKey: "k",
    batch: [],
  };
}

describe.skipIf(redisSkipReason() !== "")("UnitTracker (real redis-server)", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function setUp(lostAfterMs: number) {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const connection = redisConnection(redis.url);
    const client = new Redis(connection);
    const queue = new Queue<UnitData, UnitResult>(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
    const events = new QueueEvents(QUEUE_NAME, {
      connection,
      prefix: KEY_PREFIX,
      blockingTimeout: 1000,
    });
    client.on("error", () => undefined);
    queue.on("error", () => undefined);
    events.on("error", () => undefined);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const tracker = new UnitTracker(queue, events, client, {
      url: redis.url,
      lostAfterMs,
      pollMs: 100,
      contextTtlS: 60,
      logger: silentLogger,
    });
    cleanups.push(async () => {
      tracker.close();
      for (const c of [events, queue]) void c.disconnect().catch(() => undefined);
      client.disconnect();
    });
    return { redis, connection, client, queue, tracker };
  }

  it("units Redis lost are submitted again with their builder context; 20 units in flight add no listener each", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    cleanups.push(async () => process.off("warning", onWarning));
    const { connection, client, queue, tracker } = await setUp(60_000);
    await client.set(CONTEXT.key, CONTEXT.json);
    const results = Array.from({ length: 20 }, (_, i) => tracker.run(`u-${i}`, unit(i), CONTEXT));
    while (((await queue.getJobCounts("wait")).wait ?? 0) < 20)
      await new Promise((r) => setTimeout(r, 20));
    // What a restart without persistence does: the queue and the contexts are gone.
    await client.flushall();
    const reader = new Redis(connection);
    const worker = new Worker<UnitData, UnitResult>(
      QUEUE_NAME,
      async (job) =>
        ({
          rows: [{ seq: job.data.seq, context: await reader.get(CONTEXT.key) }],
          rejects: [],
          llmCalls: [],
          rejected: [],
          worker: "test",
        }) as UnitResult,
      { connection, prefix: KEY_PREFIX, concurrency: 5 },
    );
    cleanups.push(async () => {
      await worker.close();
      reader.disconnect();
    });
    const done = await Promise.all(results);
    expect(done.map((r) => r.rows[0]!.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const r of done) expect(r.rows[0]!.context).toBe(CONTEXT.json);
    expect(tracker.inFlight).toBe(0);
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });

  it("Redis unreachable longer than the bound: units in flight and new ones fail with DIGIT_REDIS_LOST", async () => {
    const { redis, tracker } = await setUp(300);
    const waiting = tracker.run("u-0", unit(0), CONTEXT);
    const failure = waiting.catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await redis.kill();
    const e = await failure;
    expect(e).toBeInstanceOf(RedisLostError);
    expect((e as RedisLostError).code).toBe("DIGIT_REDIS_LOST");
    await expect(tracker.run("u-1", unit(1), CONTEXT)).rejects.toBeInstanceOf(RedisLostError);
  });
});
