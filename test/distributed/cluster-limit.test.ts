import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import {
  ClusterSemaphore,
  installClusterLimits,
} from "../../src/engine/executor/bullmq/cluster-limit.js";
import { redisConnection, unitJobId } from "../../src/engine/executor/bullmq/protocol.js";
import { isDigitError } from "../../src/errors.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";

describe("protocol", () => {
  it("reads redis URLs with credentials, database and TLS", () => {
    expect(redisConnection("redis://127.0.0.1:6400")).toMatchObject({
      host: "127.0.0.1",
      port: 6400,
      db: 0,
    });
    expect(redisConnection("rediss://u:p%40ss@cache.example:6380/2")).toMatchObject({
      host: "cache.example",
      port: 6380,
      db: 2,
      username: "u",
      password: "p@ss",
      tls: {},
    });
    expect(redisConnection("redis://localhost")).toMatchObject({ port: 6379 });
  });

  it("rejects what is not a Redis URL, with the fix", () => {
    for (const bad of ["localhost:6379", "http://127.0.0.1:6379", "redis://h:1/x"]) {
      let error: unknown;
      try {
        redisConnection(bad);
      } catch (e) {
        error = e;
      }
      expect(isDigitError(error)).toBe(true);
      expect((error as { hint?: string }).hint).toMatch(/redis:\/\//);
    }
  });

  it("makes job ids without ':' (BullMQ refuses them in custom ids)", () => {
    const id = unitJobId("public/ns:odd name", "abc", 3, "d1");
    expect(id).toBe("public_ns_odd_name-abc-3-d1");
    expect(id).not.toContain(":");
  });
});

const skip = redisSkipReason();

describe.skipIf(skip !== "")("ClusterSemaphore (real redis-server)", () => {
  let redis: TestRedis;
  const clients: Redis[] = [];
  const sems: ClusterSemaphore[] = [];
  const semaphore = (leaseMs = 10_000) => {
    const c = new Redis(redisConnection(redis.url));
    const s = new Redis(redisConnection(redis.url));
    clients.push(c, s);
    const sem = new ClusterSemaphore(c, s, { leaseMs, pollMs: 50 });
    sems.push(sem);
    return sem;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const s of sems) s.close();
    for (const c of clients) c.disconnect();
    await redis?.stop();
  });

  it("two processes' semaphores share one limit, and a release wakes a waiter elsewhere", async () => {
    const a = semaphore();
    const b = semaphore();
    const key = "digit:sem:test-share";
    const held = [await a.acquire(key, 3), await b.acquire(key, 3), await a.acquire(key, 3)];
    let fourth = false;
    const waiting = b.acquire(key, 3).then((l) => {
      fourth = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(fourth).toBe(false);
    held[0]!.release();
    const lease = await waiting;
    expect(fourth).toBe(true);
    expect(a.heldCount(key) + b.heldCount(key)).toBe(3);
    for (const l of [...held.slice(1), lease]) l.release();
  });

  it("never admits more than the limit across holders under contention", async () => {
    const sems2 = [semaphore(), semaphore(), semaphore()];
    const key = "digit:sem:test-contention";
    let inside = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const lease = await sems2[i % 3]!.acquire(key, 4);
        inside++;
        peak = Math.max(peak, inside);
        await new Promise((r) => setTimeout(r, 5 + (i % 4) * 3));
        inside--;
        lease.release();
      }),
    );
    expect(peak).toBe(4);
  });

  it("slots of a holder that died (stopped refreshing) come back after the lease", async () => {
    const dead = semaphore(300);
    const key = "digit:sem:test-dead";
    await dead.acquire(key, 1);
    dead.close(); // no more refreshes, lease never released: as after kill -9
    const alive = semaphore(300);
    const started = Date.now();
    const lease = await alive.acquire(key, 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    lease.release();
  });

  it("a lease refreshed by a live holder outlasts its lease time", async () => {
    const holder = semaphore(300);
    const key = "digit:sem:test-refresh";
    const lease = await holder.acquire(key, 1);
    const other = semaphore(300);
    let got = false;
    const waiting = other.acquire(key, 1).then((l) => {
      got = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 800));
    expect(got).toBe(false);
    lease.release();
    (await waiting).release();
  });

  it("wraps the process's credential limiters so each request also holds a cluster slot", async () => {
    credentialPool().clear();
    const sem = semaphore();
    const undo = installClusterLimits(sem);
    try {
      const credential = { secret: "k", endpoint: "http://fake/v1" };
      const limiter = credentialPool().limiter(credential, 2, { block: "g", adaptive: false });
      // Another process already holds one of the 2 slots of this credential.
      const elsewhere = semaphore();
      const { credentialSemaphoreKey } = await import(
        "../../src/engine/executor/bullmq/cluster-limit.js"
      );
      const foreign = await elsewhere.acquire(credentialSemaphoreKey(credential), 2);
      const first = await limiter.acquire();
      let second = false;
      const pending = limiter.acquire().then((s) => {
        second = true;
        return s;
      });
      await new Promise((r) => setTimeout(r, 150));
      // The local limiter has room (1 of 2), but the cluster is full.
      expect(second).toBe(false);
      foreign.release();
      (await pending).release("ok");
      first.release("ok");
    } finally {
      undo();
      credentialPool().clear();
    }
  });
});
