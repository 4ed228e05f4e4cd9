import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { AdaptiveLimiter, Slot, SlotOutcome } from "../../../blocks/lm/limiter.js";
import { type Credential, credentialKey, credentialPool } from "../../../blocks/lm/pool.js";
import type { Logger } from "../../../telemetry/logger.js";
import { ACQUIRE, REFRESH, RELEASE } from "./cluster-limit-scripts.js";
import { KEY_PREFIX } from "./protocol.js";

/** A held cluster-wide slot. */
export interface Lease {
  /** Give the slot back; with an outcome, an adaptive semaphore also adapts the cluster's limit. */
  release(outcome?: SlotOutcome): void;
}

/** Options of a ClusterSemaphore. */
export interface ClusterSemaphoreOptions {
  /** A lease not refreshed for this long is taken back (a holder that died). Default 10 s. */
  leaseMs?: number;
  /** How long a lowered adaptive limit outlives the last request that changed it. Default 10 min. */
  limitMemoryMs?: number;
  /** Longest wait between tries when no release was announced. Default 100 ms. */
  pollMs?: number;
  logger?: Logger | undefined;
}

interface Waiter {
  limit: number;
  adaptive: boolean;
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
  private readonly limitMemoryMs: number;
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
    this.limitMemoryMs = options.limitMemoryMs ?? 600_000;
    this.logger = options.logger;
    this.redis.defineCommand("digitSemAcquire", { numberOfKeys: 4, lua: ACQUIRE });
    this.redis.defineCommand("digitSemRelease", { numberOfKeys: 5, lua: RELEASE });
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

  /**
   * Wait for one of `limit` slots of `key`. With `adaptive`, the cluster's limit for the key
   * follows the outcomes the leases are released with (429s lower it for every process, successes
   * raise it back up to `limit`), so processes share one adaptive limit instead of each its own.
   */
  acquire(key: string, limit: number, options: { adaptive?: boolean } = {}): Promise<Lease> {
    if (this.closed) return Promise.reject(new Error("cluster semaphore is closed"));
    return new Promise<Lease>((resolve, reject) => {
      if (!this.queues.has(key)) this.queues.set(key, []);
      this.queues.get(key)!.push({
        limit: Math.max(1, Math.floor(limit)),
        adaptive: options.adaptive === true,
        resolve,
        reject,
      });
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
        let generation = 0;
        try {
          const [ok, gen] = await (this.redis as unknown as SemCommands).digitSemAcquire(
            key,
            `${key}:waiting`,
            `${key}:limit`,
            `${key}:gen`,
            head.limit,
            this.leaseMs,
            token,
            this.pollMs * 10,
          );
          got = ok === 1;
          generation = gen;
        } catch (e) {
          queue.shift();
          head.reject(e);
          continue;
        }
        if (got) {
          queue.shift();
          if (!this.held.has(key)) this.held.set(key, new Set());
          this.held.get(key)!.add(token);
          head.resolve(this.lease(key, token, { ...head, generation }));
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

  private lease(
    key: string,
    token: string,
    slot: { limit: number; adaptive: boolean; generation: number },
  ): Lease {
    let released = false;
    return {
      release: (outcome?: SlotOutcome) => {
        if (released) return;
        released = true;
        this.held.get(key)?.delete(token);
        (this.redis as unknown as SemCommands)
          .digitSemRelease(
            key,
            `${key}:waiting`,
            `${key}:released`,
            `${key}:limit`,
            `${key}:gen`,
            token,
            outcome ?? "none",
            slot.generation,
            slot.limit,
            slot.adaptive ? 1 : 0,
            this.limitMemoryMs,
          )
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
    limitKey: string,
    genKey: string,
    limit: number,
    leaseMs: number,
    token: string,
    waitingMarkMs: number,
  ): Promise<[number, number]>;
  digitSemRelease(
    key: string,
    waitingKey: string,
    channel: string,
    limitKey: string,
    genKey: string,
    token: string,
    outcome: SlotOutcome | "none",
    generation: number,
    limit: number,
    adaptive: 0 | 1,
    memoryMs: number,
  ): Promise<number>;
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
 * released before it, with the request's outcome, so that an adaptive credential's 429s lower its
 * limit for the whole cluster, not only in the process that saw them. Endpoint pools take their
 * endpoints' limiters from the same credential pool, so each endpoint of a pool gets its own
 * cluster-wide limit. Returns a function that stops wrapping new limiters.
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
      const adaptive = who.adaptive ?? true;
      const localAcquire = limiter.acquire.bind(limiter);
      limiter.acquire = async (): Promise<Slot> => {
        const local = await localAcquire();
        let lease: Lease;
        try {
          lease = await semaphore.acquire(key, limiter.configured, { adaptive });
        } catch (e) {
          local.release("error");
          throw e;
        }
        return {
          release: (outcome: SlotOutcome) => {
            lease.release(outcome);
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
