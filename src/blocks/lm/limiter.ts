/**
 * An adaptive semaphore for one credential: at most `effective` requests in flight, where
 * `effective` starts at the configured limit, drops on 429 (multiplicative decrease, once per
 * "generation" of requests) and grows back by additive increase on success, never above the
 * configured limit.
 *
 * Why the extra care: when an endpoint's real limit is lower than configured, the first burst
 * gets many 429s at once. Halving once per 429 would collapse to 1; so only a 429 from a request
 * admitted after the last decrease decreases multiplicatively, and every 429 also caps the limit at
 * the number of other requests in flight (what the endpoint demonstrably accepted). Above the last
 * level that drew a 429 the limiter probes slowly, so a steady endpoint sees few 429s.
 *
 * @example
 * const limiter = new AdaptiveLimiter(64);
 * const slot = await limiter.acquire();
 * try { await send(); slot.release("ok"); } catch { slot.release("rate_limited"); }
 */
export class AdaptiveLimiter {
  /** The configured (maximum) limit. */
  private configuredLimit: number;
  private effectiveLimit: number;
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  private waitersHead = 0;
  /** Bumped on every multiplicative decrease; a slot remembers the generation it was admitted in. */
  private generation = 0;
  /** The in-flight level that last drew a 429 (probing above it is slow). */
  private ceiling = Infinity;
  private readonly adaptive: boolean;
  /** Counters for tests, benchmarks and logs. */
  readonly counters = { acquired: 0, rateLimited: 0, decreases: 0, peakActive: 0 };

  /** Start-up ramp: admissions still paced, each `rampGap` ms after the previous one. */
  private rampLeft: number;
  /** Resolves when the newest ramp admission may start. */
  private rampChain: Promise<void> = Promise.resolve();
  /** Requests waiting in or behind the ramp; while any are, newcomers queue behind them (FIFO). */
  private rampPending = 0;
  private readonly rampGap: number;
  private spareSignal: Promise<void> | undefined;
  private resolveSpare: (() => void) | undefined;

  constructor(limit: number, options: { adaptive?: boolean; rampMs?: number } = {}) {
    if (!Number.isFinite(limit) || limit < 1)
      throw new RangeError(`limit must be >= 1, got ${limit}`);
    this.configuredLimit = Math.floor(limit);
    this.effectiveLimit = this.configuredLimit;
    this.adaptive = options.adaptive ?? true;
    // A fresh credential opens its slots over `rampMs` rather than in one burst, so that an
    // endpoint whose real limit is lower answers its first 429 before we have flooded it; a
    // steady run pays this once. One admission per timer, so the event loop reads the answers of
    // earlier admissions (a 429) before the next one: a start-up busy with sending would otherwise
    // let a whole step of admissions through before reading any 429 (figures: docs/providers.md).
    const rampMs = this.adaptive ? (options.rampMs ?? DEFAULT_RAMP_MS) : 0;
    this.rampLeft = rampMs > 0 ? this.configuredLimit : 0;
    this.rampGap = this.configuredLimit > 0 ? rampMs / this.configuredLimit : 0;
  }

  /** The configured maximum. */
  get configured(): number {
    return this.configuredLimit;
  }

  /** How many requests may be in flight right now. */
  get limit(): number {
    return Math.max(1, Math.floor(this.effectiveLimit));
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waiters.length - this.waitersHead;
  }

  /** Requests holding, waiting for or ramping towards a slot. */
  get demand(): number {
    return this.active + this.waiting + this.rampPending;
  }

  /**
   * Requests a busy limiter should have queued beyond its slots (a quarter of the limit), so a
   * released slot goes to a waiting request at once rather than idling until the engine has
   * started the next builder call.
   */
  get queueTarget(): number {
    return Math.ceil(this.limit / QUEUE_TARGET_DIVISOR);
  }

  /** Room for more requests: free slots plus the queue target, minus those holding, waiting or ramping. */
  get spare(): number {
    return Math.max(0, this.limit + this.queueTarget - this.demand);
  }

  /**
   * Resolves the next time a release leaves the limiter with spare room (see `spare`); the engine
   * waits on it to start more work in time.
   *
   * @example
   * await limiter.whenSpare(); // then start another builder call
   */
  whenSpare(): Promise<void> {
    this.spareSignal ??= new Promise<void>((resolve) => (this.resolveSpare = resolve));
    return this.spareSignal;
  }

  /** Lower the configured maximum (a second block asked for less on the same credential). */
  lowerConfigured(limit: number): void {
    const l = Math.max(1, Math.floor(limit));
    if (l >= this.configuredLimit) return;
    this.configuredLimit = l;
    this.effectiveLimit = Math.min(this.effectiveLimit, l);
  }

  /** Wait for a slot. The returned slot must be released exactly once, with the outcome. */
  async acquire(): Promise<Slot> {
    if (this.rampLeft > 0) {
      this.rampLeft--;
      this.rampPending++;
      // A chain, not a schedule: each admission waits for the previous one plus the gap, so a
      // busy event loop slows the ramp instead of releasing every overdue admission at once.
      const gate = this.rampChain.then(() => new Promise<void>((r) => setTimeout(r, this.rampGap)));
      this.rampChain = gate;
      await gate;
      this.rampPending--;
    } else if (this.rampPending > 0) {
      // Requests that come after the ramp's last admission wait for it to finish, so that they
      // cannot overtake earlier requests still in the ramp.
      this.rampPending++;
      await this.rampChain;
      this.rampPending--;
    }
    if (this.active >= this.limit || this.waiting > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.active++;
    }
    this.counters.acquired++;
    if (this.active > this.counters.peakActive) this.counters.peakActive = this.active;
    const generation = this.generation;
    let released = false;
    return {
      release: (outcome: SlotOutcome) => {
        if (released) return;
        released = true;
        this.onRelease(outcome, generation);
      },
    };
  }

  private onRelease(outcome: SlotOutcome, generation: number): void {
    this.active--;
    if (this.adaptive && outcome === "rate_limited") {
      this.counters.rateLimited++;
      this.rampLeft = 0;
      const level = this.active + 1;
      this.ceiling = Math.min(this.ceiling, level);
      // The endpoint accepted at most the others that are in flight with us.
      let next = Math.min(this.effectiveLimit, Math.max(1, this.active));
      if (generation === this.generation) {
        next = Math.min(next, Math.max(1, this.effectiveLimit * DECREASE_FACTOR));
        this.generation++;
        this.counters.decreases++;
      }
      this.effectiveLimit = next;
    } else if (this.adaptive && outcome === "ok" && this.effectiveLimit < this.configuredLimit) {
      // Additive increase: about one slot per `limit` successes below the last 429 level, and
      // PROBE_SLOWDOWN times slower at or above it.
      const slow = this.effectiveLimit + 1 >= this.ceiling ? PROBE_SLOWDOWN : 1;
      this.effectiveLimit = Math.min(
        this.configuredLimit,
        this.effectiveLimit + 1 / (this.effectiveLimit * slow),
      );
      // Sustained a level above the last 429 without a new one: the endpoint's limit went up.
      if (this.effectiveLimit >= this.ceiling + 1) this.ceiling = Infinity;
    }
    this.dispatch();
  }

  private dispatch(): void {
    while (this.waiting > 0 && this.active < this.limit) {
      const next = this.waiters[this.waitersHead]!;
      this.waitersHead++;
      this.active++;
      next();
    }
    if (this.spareSignal && this.spare > 0) {
      const resolve = this.resolveSpare!;
      this.spareSignal = this.resolveSpare = undefined;
      resolve();
    }
    // Compact the queue now and then so it does not grow without bound.
    if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waitersHead);
      this.waitersHead = 0;
    }
  }
}

/** How a request that held a slot ended: fine, rate limited (429), or failed otherwise. */
export type SlotOutcome = "ok" | "rate_limited" | "error";

/** A held concurrency slot. */
export interface Slot {
  release(outcome: SlotOutcome): void;
}

const DECREASE_FACTOR = 0.85;
const DEFAULT_RAMP_MS = 50;
const QUEUE_TARGET_DIVISOR = 4;
const PROBE_SLOWDOWN = 8;
