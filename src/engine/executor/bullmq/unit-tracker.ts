import { Job, type JobsOptions, type Queue, type QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { RedisLostError } from "../../../errors.js";
import type { Logger } from "../../../telemetry/logger.js";
import type { UnitData, UnitResult } from "./protocol.js";
import { RedisHealth } from "./redis-health.js";

/** How the coordinator waits for units. */
export interface UnitTrackerOptions {
  /** Redis URL as shown in messages (without its password). */
  url: string;
  /** Give up when Redis has been unreachable this long (ms). */
  lostAfterMs: number;
  /** How often units in flight are looked up in Redis (ms), under the completion events. Default 5000. */
  pollMs?: number | undefined;
  /** Aborted (SIGTERM/SIGINT) while Redis is unreachable: units in flight fail at once. */
  signal?: AbortSignal | undefined;
  /** Seconds a builder context is kept in Redis when it is written again. */
  contextTtlS: number;
  /** Called once when the run gives Redis up (e.g. to fail cluster-slot waiters too). */
  onLost?: ((error: RedisLostError) => void) | undefined;
  logger: Logger;
}

/** A builder context as stored in Redis: written again with the unit when Redis lost it. */
export interface StoredContext {
  key: string;
  json: string;
}

interface Unit {
  jobId: string;
  data: UnitData;
  context: StoredContext;
  /** In the queue for this run (before that, its id may still hold an earlier coordinator's state). */
  submitted: boolean;
  resolve(result: UnitResult): void;
  reject(e: unknown): void;
}

/** Options of every unit job. */
const JOB_OPTIONS: JobsOptions = {
  // A builder that throws fails the run, as in a local run; a worker that dies is a stall, retried by BullMQ.
  attempts: 1,
  removeOnComplete: { age: 24 * 3600 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * The coordinator's units in flight, kept until their results arrive, whatever happens to Redis.
 * Results come from the queue's completion events (one listener for all units, so no listener
 * count grows with the width) and, as a safety net, from looking each unit up every `pollMs` and
 * as soon as Redis is back after an outage. A unit Redis no longer knows (a restart without
 * persistence lost the queue) is submitted again with its builder context, under the same job id:
 * results are committed only here, in order, so a unit that runs twice is still counted once.
 * When Redis stays unreachable longer than `lostAfterMs`, or the run is stopped while it is
 * unreachable, every unit fails with RedisLostError (the output folder keeps what was committed;
 * the same command resumes).
 *
 * @example
 * const tracker = new UnitTracker(queue, events, redis, { url, lostAfterMs: 60_000, contextTtlS, logger });
 * const result = await tracker.run(jobId, data, { key, json });
 */
export class UnitTracker {
  private readonly units = new Map<string, Unit>();
  private readonly health: RedisHealth;
  private readonly timers: NodeJS.Timeout[] = [];
  private failure: RedisLostError | undefined;
  private readonly failed: Promise<never>;
  private rejectFailed!: (e: RedisLostError) => void;
  private sweeping = false;
  private closed = false;

  constructor(
    private readonly queue: Queue<UnitData, UnitResult>,
    events: QueueEvents,
    private readonly redis: Redis,
    private readonly options: UnitTrackerOptions,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined);
    events.on("completed", ({ jobId, returnvalue }) =>
      this.settle(jobId, { result: returnvalue as unknown as UnitResult }),
    );
    events.on("failed", ({ jobId, failedReason }) => this.settle(jobId, { reason: failedReason }));
    const seconds = Math.round(options.lostAfterMs / 1000);
    this.health = new RedisHealth(redis, {
      down: () =>
        options.logger.warn(
          `lost the connection to Redis at ${options.url}; waiting up to ${seconds} s for it to come back (${this.units.size} builder calls in flight)`,
        ),
      up: () => {
        options.logger.info(
          `Redis at ${options.url} is back: resubmitting the builder calls it lost`,
        );
        void this.sweep();
      },
    });
    const tick = Math.max(50, Math.min(1000, Math.floor(options.lostAfterMs / 4)));
    this.timers.push(
      setInterval(() => this.checkLost(), tick),
      setInterval(() => void this.sweep(), options.pollMs ?? 5000),
    );
    for (const t of this.timers) t.unref();
    options.signal?.addEventListener("abort", () => this.checkLost(), { once: true });
  }

  /** True while Redis is unreachable. */
  get redisDown(): boolean {
    return this.health.down;
  }

  /** Builder calls waiting for a result (tests, logs). */
  get inFlight(): number {
    return this.units.size;
  }

  /**
   * Submit a unit (idempotent: an id already in the queue keeps its job; one an earlier
   * coordinator saw fail runs again) and wait for its result. Rejects with an Error carrying the
   * worker's failure reason, or with RedisLostError.
   */
  run(jobId: string, data: UnitData, context: StoredContext): Promise<UnitResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<UnitResult>((resolve, reject) => {
      const unit: Unit = { jobId, data, context, submitted: false, resolve, reject };
      this.units.set(jobId, unit);
      void this.submit(unit).catch((e: unknown) => {
        // While Redis is down the next sweep submits it again; any other failure is the unit's.
        if (this.health.down || this.closed) return;
        this.settle(jobId, { error: e });
      });
    });
  }

  /** `promise`, or RedisLostError if Redis is given up first (for the steps before a unit is submitted). */
  guard<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }

  /** Stop watching; units still waiting fail (the run is over). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.health.stop();
    for (const t of this.timers) clearInterval(t);
    for (const unit of this.units.values())
      unit.reject(new Error(`unit ${unit.jobId} abandoned: the executor was closed`));
    this.units.clear();
  }

  private async submit(unit: Unit): Promise<void> {
    const job = await this.queue.add("unit", unit.data, { ...JOB_OPTIONS, jobId: unit.jobId });
    // An id already in Redis keeps its old state: a unit a previous coordinator saw fail runs again,
    // with this coordinator's data (its builder context, e.g. a higher spending cap).
    if ((await job.getState()) === "failed") {
      await job.updateData(unit.data);
      await job.retry("failed");
    }
    unit.submitted = true;
    // A result already in Redis (a coordinator restarted from the same checkpoint) ends the wait now.
    await this.inspect(unit);
  }

  /** Look a submitted unit up: settle it if it finished, submit it again if Redis lost it. */
  private async inspect(unit: Unit): Promise<void> {
    const job = await Job.fromId<UnitData, UnitResult>(this.queue, unit.jobId);
    if (!this.units.has(unit.jobId)) return;
    if (!job) {
      this.options.logger.debug(`unit ${unit.jobId} is no longer in Redis: submitting it again`);
      await this.redis.set(unit.context.key, unit.context.json, "EX", this.options.contextTtlS);
      await this.queue.add("unit", unit.data, { ...JOB_OPTIONS, jobId: unit.jobId });
      return;
    }
    const state = await job.getState();
    if (state === "completed") this.settle(unit.jobId, { result: job.returnvalue });
    else if (state === "failed") this.settle(unit.jobId, { reason: job.failedReason });
  }

  private async sweep(): Promise<void> {
    if (this.sweeping || this.closed || this.health.down) return;
    this.sweeping = true;
    try {
      for (const unit of [...this.units.values()]) {
        if (this.health.down || this.closed) break;
        if (unit.submitted) await this.inspect(unit);
      }
    } catch (e) {
      // Redis went away mid-sweep: the next one (after it is back) starts over.
      this.options.logger.debug(
        `checking units in Redis: ${e instanceof Error ? e.message : String(e)}`,
      );
    } finally {
      this.sweeping = false;
    }
  }

  private checkLost(): void {
    if (this.failure || this.closed || !this.health.down) return;
    const seconds = Math.round(this.health.downForMs() / 1000);
    if (this.options.signal?.aborted)
      this.fail(
        new RedisLostError(
          this.options.url,
          `the run was stopped while Redis was unreachable, after ${seconds} s`,
        ),
      );
    else if (this.health.downForMs() >= this.options.lostAfterMs)
      this.fail(
        new RedisLostError(
          this.options.url,
          `unreachable for ${seconds} s, longer than --redis-timeout ${Math.round(this.options.lostAfterMs / 1000)}`,
        ),
      );
  }

  private fail(error: RedisLostError): void {
    this.failure = error;
    this.rejectFailed(error);
    for (const unit of this.units.values()) unit.reject(error);
    this.units.clear();
    this.options.onLost?.(error);
  }

  private settle(
    jobId: string,
    outcome: { result?: UnitResult | undefined; reason?: string | undefined; error?: unknown },
  ): void {
    const unit = this.units.get(jobId);
    if (!unit) return;
    this.units.delete(jobId);
    if (outcome.error !== undefined) unit.reject(outcome.error);
    else if (outcome.reason !== undefined) unit.reject(new Error(outcome.reason));
    else unit.resolve(outcome.result!);
  }
}
