import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { AdaptiveLimiter, Slot, SlotOutcome } from "../../../blocks/lm/limiter.js";
import { type Credential, credentialKey, credentialPool } from "../../../blocks/lm/pool.js";
import type { Logger } from "../../../telemetry/logger.js";
import { KEY_PREFIX } from "./protocol.js";

// Take a slot if fewer than `limit` unexpired leases exist, else mark that someone waits. Time
// comes from the Redis server so machines with skewed clocks agree on when a lease expires.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[4]))
return 0`;

// Give a slot back; announce it only while someone failed to get one recently (the waiting mark
// set above outlives a few polls), so an unbounded credential costs no pub/sub traffic.
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PUBLISH', KEYS[3], '1') end
return 1`;

// Extend the leases still held (XX: never resurrect one that expired and was reclaimed).
const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #ARGV - 1 do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[#ARGV]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[#ARGV]) * 2)
return 1`;

/** A held cluster-wide slot. */
export interface Lease {
  release(): void;
}

/** Options of a ClusterSemaphore. */
export interface ClusterSemaphoreOptions {
  /** A lease not refreshed for this long is taken back (a holder that died). Default 10 s. */
  leaseMs?: number;
  /** Longest wait between tries when no release was announced. Default 100 ms. */
  pollMs?: number;
  logger?: Logger | undefined;
}

interface Waiter {
  limit: number;
  resolve: (lease: Lease) => void;
  reject: (e: unknown) => void;
}

/**
 * A counting semaphore in Redis shared by every process of a cluster, one per key (a credential
 * hash). Slots are leases in a sorted set scored by expiry: holders refresh them while they work,
 * so a process killed with -9 loses its slots after `leaseMs` instead of forever. Releases are
 * announced over pub/sub so waiters elsewhere retry at once; a slow poll covers expired leases.
 *
 * @example
 * const sem = new ClusterSemaphore(redis, subscriber);
 * const lease = await sem.acquire("digit:sem:ab12", 8);
 * try { await send(); } finally { lease.release(); }
 */
export class ClusterSemaphore {
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly logger: Logger | undefined;
  private readonly held = new Map<string, Set<string>>();
  private readonly queues = new Map<string, Waiter[]>();
  private readonly pumping = new Set<string>();
  private readonly wakers = new Map<string, () => void>();
  /** Channels that announced a release since their pump last tried (so no announcement is missed). */
  private readonly signalled = new Set<string>();
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    options: ClusterSemaphoreOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 10_000;
    this.pollMs = options.pollMs ?? 100;
    this.logger = options.logger;
    this.redis.defineCommand("digitSemAcquire", { numberOfKeys: 2, lua: ACQUIRE });
    this.redis.defineCommand("digitSemRelease", { numberOfKeys: 3, lua: RELEASE });
    this.redis.defineCommand("digitSemRefresh", { numberOfKeys: 1, lua: REFRESH });
    this.subscriber.on("message", (channel: string) => {
      this.signalled.add(channel);
      this.wakers.get(channel)?.();
    });
    this.heartbeat = setInterval(
      () => void this.refresh(),
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  /** Wait for one of `limit` slots of `key`. */
  acquire(key: string, limit: number): Promise<Lease> {
    if (this.closed) return Promise.reject(new Error("cluster semaphore is closed"));
    return new Promise<Lease>((resolve, reject) => {
      if (!this.queues.has(key)) this.queues.set(key, []);
      this.queues.get(key)!.push({ limit: Math.max(1, Math.floor(limit)), resolve, reject });
      void this.pump(key);
    });
  }

  /** Leases of `key` held by this process now (tests). */
  heldCount(key: string): number {
    return this.held.get(key)?.size ?? 0;
  }

  private async pump(key: string): Promise<void> {
    if (this.pumping.has(key)) return;
    this.pumping.add(key);
    const channel = `${key}:released`;
    try {
      await this.subscriber.subscribe(channel);
      const queue = this.queues.get(key)!;
      while (queue.length > 0 && !this.closed) {
        const head = queue[0]!;
        const token = randomUUID();
        this.signalled.delete(channel);
        let got = false;
        try {
          got =
            (await (this.redis as unknown as SemCommands).digitSemAcquire(
              key,
              `${key}:waiting`,
              head.limit,
              this.leaseMs,
              token,
              this.pollMs * 10,
            )) === 1;
        } catch (e) {
          queue.shift();
          head.reject(e);
          continue;
        }
        if (got) {
          queue.shift();
          if (!this.held.has(key)) this.held.set(key, new Set());
          this.held.get(key)!.add(token);
          head.resolve(this.lease(key, token));
          continue;
        }
        // Full: wait for a release announcement, or poll (a dead holder's lease expires silently).
        if (this.signalled.has(channel)) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, this.pollMs);
          function done(): void {
            clearTimeout(timer);
            resolve();
          }
          this.wakers.set(channel, done);
        });
        this.wakers.delete(channel);
      }
    } finally {
      this.pumping.delete(key);
      if ((this.queues.get(key)?.length ?? 0) > 0 && !this.closed) void this.pump(key);
    }
  }

  private lease(key: string, token: string): Lease {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held.get(key)?.delete(token);
        (this.redis as unknown as SemCommands)
          .digitSemRelease(key, `${key}:waiting`, `${key}:released`, token)
          .catch((e: unknown) =>
            this.logger?.warn(`cluster limit: could not release a slot of ${key}: ${String(e)}`),
          );
      },
    };
  }

  private async refresh(): Promise<void> {
    for (const [key, tokens] of this.held) {
      if (tokens.size === 0) continue;
      await (this.redis as unknown as SemCommands)
        .digitSemRefresh(key, ...tokens, this.leaseMs)
        .catch((e: unknown) =>
          this.logger?.warn(`cluster limit: could not refresh leases of ${key}: ${String(e)}`),
        );
    }
  }

  /** Stop refreshing and fail waiters; held leases expire on their own. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const q of this.queues.values())
      for (const w of q.splice(0)) w.reject(new Error("cluster semaphore closed"));
    for (const wake of this.wakers.values()) wake();
  }
}

interface SemCommands {
  digitSemAcquire(
    key: string,
    waitingKey: string,
    limit: number,
    leaseMs: number,
    token: string,
    waitingMarkMs: number,
  ): Promise<number>;
  digitSemRelease(key: string, waitingKey: string, channel: string, token: string): Promise<number>;
  digitSemRefresh(key: string, ...args: (string | number)[]): Promise<number>;
}

/** Redis key of the cluster-wide semaphore of a credential (its hash, never the key itself). */
export function credentialSemaphoreKey(credential: Credential): string {
  return `${KEY_PREFIX}:sem:${credentialKey(credential)}`;
}

const WRAPPED = new WeakSet<AdaptiveLimiter>();

/**
 * Make every per-credential limiter of this process also take a cluster-wide slot for each request,
 * so `call_limit` / `max_concurrent_requests` holds for all workers together. The process-local
 * adaptive limiter still runs first (it reacts to 429s); the cluster slot is taken after it and
 * released before it. Returns a function that stops wrapping new limiters.
 *
 * Why a wrapper: the LM providers take slots from `credentialPool()`; it has no hook yet, so the
 * pool's `limiter` method is wrapped on this process's pool instance only.
 *
 * @example
 * const undo = installClusterLimits(semaphore);
 */
export function installClusterLimits(semaphore: ClusterSemaphore): () => void {
  const pool = credentialPool();
  const original = pool.limiter;
  pool.limiter = (credential, limit, who) => {
    const limiter = original.call(pool, credential, limit, who);
    if (!WRAPPED.has(limiter)) {
      WRAPPED.add(limiter);
      const key = credentialSemaphoreKey(credential);
      const localAcquire = limiter.acquire.bind(limiter);
      limiter.acquire = async (): Promise<Slot> => {
        const local = await localAcquire();
        let lease: Lease;
        try {
          lease = await semaphore.acquire(key, limiter.configured);
        } catch (e) {
          local.release("error");
          throw e;
        }
        return {
          release: (outcome: SlotOutcome) => {
            lease.release();
            local.release(outcome);
          },
        };
      };
    }
    return limiter;
  };
  return () => {
    pool.limiter = original;
  };
}
