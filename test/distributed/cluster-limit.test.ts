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

/** How many of `n` acquires of `key` get a slot within 300 ms (all given back after). */
async function capacity(
  sem: ClusterSemaphore,
  key: string,
  n: number,
  { limit = 8, adaptive = true } = {},
) {
  let got = 0;
  const leases = Array.from({ length: n }, () =>
    sem.acquire(key, limit, { adaptive }).then((l) => {
      got++;
      return l;
    }),
  );
  await new Promise((r) => setTimeout(r, 300));
  const count = got;
  // Released without an outcome: the limit is left as it is; the late ones get slots and go too.
  await Promise.all(leases.map((p) => p.then((l) => l.release())));
  return count;
}

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

  it("an adaptive key's 429s lower its limit for every holder, and successes raise it back", async () => {
    const a = semaphore();
    const b = semaphore();
    const key = "digit:sem:test-adaptive";
    const held = await Promise.all(
      Array.from({ length: 8 }, () => a.acquire(key, 8, { adaptive: true })),
    );
    // A 429 with 7 others in flight: the limit drops to min(7, 8 × 0.85) = 6.8.
    held[0]!.release("rate_limited");
    // A second 429 of the same generation only caps it at what is in flight: 6.
    held[1]!.release("rate_limited");
    for (const l of held.slice(2)) l.release("error");
    // Another process sees the lowered limit.
    expect(await capacity(b, key, 8)).toBe(6);
    // About one slot per `limit` successes: 40 successful requests bring it back to 8, no further.
    for (let i = 0; i < 40; i++) (await b.acquire(key, 8, { adaptive: true })).release("ok");
    expect(await capacity(a, key, 10)).toBe(8);
  });

  it("a key without `adaptive` keeps its configured limit whatever the outcomes", async () => {
    const a = semaphore();
    const key = "digit:sem:test-fixed";
    const held = await Promise.all(Array.from({ length: 4 }, () => a.acquire(key, 4)));
    for (const l of held) l.release("rate_limited");
    expect(await capacity(a, key, 6, { limit: 4, adaptive: false })).toBe(4);
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

  it("a wrapped adaptive credential limiter reports its 429s to the cluster", async () => {
    credentialPool().clear();
    const undo = installClusterLimits(semaphore());
    try {
      const credential = { secret: "k2", endpoint: "http://fake-adaptive/v1" };
      const limiter = credentialPool().limiter(credential, 4, { block: "g" });
      const slots = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
      slots[0]!.release("rate_limited");
      for (const s of slots.slice(1)) s.release("error");
      const { credentialSemaphoreKey } = await import(
        "../../src/engine/executor/bullmq/cluster-limit.js"
      );
      // min(3 in flight, 4 × 0.85) = 3 slots left for every process.
      expect(await capacity(semaphore(), credentialSemaphoreKey(credential), 4, { limit: 4 })).toBe(
        3,
      );
    } finally {
      undo();
      credentialPool().clear();
    }
  });
});
