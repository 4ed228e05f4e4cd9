import { hostname } from "node:os";
import { type Job, Worker } from "bullmq";
import { Redis } from "ioredis";
import { useBatchJournal } from "../../../blocks/lm/batch/journal-store.js";
import { ConfigError, isDigitError } from "../../../errors.js";
import { type Logger, silentLogger } from "../../../telemetry/logger.js";
import { redactText } from "../../../util/redact.js";
import { ClusterSemaphore, installClusterLimits } from "./cluster-limit.js";
import {
  checkReachable,
  contextKey,
  displayUrl,
  failureReason,
  KEY_PREFIX,
  PROTOCOL_VERSION,
  QUEUE_NAME,
  redisConnection,
  type UnitContext,
  type UnitData,
  type UnitResult,
} from "./protocol.js";
import { PreparedContext, type WorkerRegistryOptions } from "./rebuild.js";
import { closeWithin, handleErrors, RedisHealth } from "./redis-health.js";
import { resolveSecrets } from "./secrets.js";
import { RedisBatchJournal } from "./shared-batch-journal.js";

/** How `digit worker` runs. */
export interface WorkerOptions extends WorkerRegistryOptions {
  /** redis://host:port of the coordinator's Redis. */
  url: string;
  /** Units (builder calls) this worker runs at once. Default 1. */
  concurrency?: number | undefined;
  /** Take a cluster-wide slot per LLM request, so per-credential limits hold for the cluster. Default true. */
  clusterLimits?: boolean | undefined;
  /** A unit whose lock is not renewed for this long counts as stalled and runs again elsewhere (ms; default 30000). */
  lockDurationMs?: number | undefined;
  /** How often this worker looks for stalled units (ms; default 15000). */
  stalledIntervalMs?: number | undefined;
  /** Times a unit may stall (its worker died) before it fails (default 5). */
  maxStalledCount?: number | undefined;
  /** Lease of a cluster-wide slot not refreshed by its holder (ms; default 10000). */
  leaseMs?: number | undefined;
  /**
   * Journal provider batches in Redis, shared with the other workers, so a unit taken over from a
   * dead worker polls the batches it submitted instead of paying for them again. Default true.
   */
  sharedBatchJournal?: boolean | undefined;
  /** Where the secrets that contexts refer to (`{"$env": NAME}`) are read (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  logger?: Logger | undefined;
}

/** A running worker. */
export interface DigitWorker {
  /** `<host>:<pid>`, recorded on every result. */
  readonly id: string;
  /** Units finished by this worker. */
  readonly processed: number;
  /** Stop taking units; with `force` false (default) wait for the ones running to finish. */
  close(force?: boolean): Promise<void>;
}

/**
 * Start a worker: take units from the queue, rebuild their builder (cached per builder context),
 * run the call and return the rows, the rows validators rejected and the LLM call reports.
 * Secrets in a context are names of environment variables, read here from this worker's own
 * environment; a variable this worker lacks fails each unit that needs it once (no retry, no
 * loop) with DIGIT_WORKER_ENV_UNSET naming the variable, and the coordinator stops the run with
 * that error and its fix.
 *
 * When Redis goes away the worker says so once and reconnects on its own (units it finishes
 * meanwhile are lost to Redis; the coordinator submits them again). Closing while Redis is
 * unreachable does not wait for it: the units in progress are dropped and run again elsewhere.
 *
 * @example
 * const worker = await startWorker({ url: "redis://127.0.0.1:6379", concurrency: 4 });
 * process.on("SIGTERM", () => void worker.close());
 */
export async function startWorker(options: WorkerOptions): Promise<DigitWorker> {
  const logger = options.logger ?? silentLogger;
  const connection = redisConnection(options.url);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ConfigError(`--concurrency must be a whole number ≥ 1, got ${concurrency}`, {
      hint: "e.g. digit worker redis://127.0.0.1:6379 --concurrency 4",
    });
  const id = `${hostname()}:${process.pid}`;
  await checkReachable(connection, options.url);
  const redis = new Redis(connection);
  const subscriber = new Redis(connection);
  const shownUrl = displayUrl(options.url);
  let onRedisDown: (() => void) | undefined;
  const health = new RedisHealth(redis, {
    down: () => {
      logger.warn(
        `lost the connection to Redis at ${shownUrl}; reconnecting (units running now will run again)`,
      );
      onRedisDown?.();
    },
    up: () => logger.info(`reconnected to Redis at ${shownUrl}`),
  });
  let semaphore: ClusterSemaphore | undefined;
  let uninstall: (() => void) | undefined;
  if (options.clusterLimits !== false) {
    semaphore = new ClusterSemaphore(redis, subscriber, { leaseMs: options.leaseMs, logger });
    uninstall = installClusterLimits(semaphore);
  }
  const undoJournal =
    options.sharedBatchJournal === false
      ? undefined
      : useBatchJournal(new RedisBatchJournal(redis));
  const contexts = new Map<string, Promise<PreparedContext>>();
  let processed = 0;

  const prepared = (hash: string): Promise<PreparedContext> => {
    let p = contexts.get(hash);
    if (!p) {
      p = (async () => {
        const raw = await redis.get(contextKey(hash));
        if (raw === null)
          throw new Error(
            `builder context ${hash} is not in Redis (expired, or the coordinator used another Redis database)`,
          );
        // Secrets come back from this worker's environment, in memory only.
        const context = resolveSecrets(
          JSON.parse(raw) as UnitContext,
          options.env ?? process.env,
          id,
        );
        logger.info(`building '${context.builderName}' (context ${hash})`);
        return PreparedContext.build(context, options, logger);
      })();
      // A failed build is not cached: the next unit tries again (e.g. after a plugin was fixed).
      p.catch(() => contexts.delete(hash));
      contexts.set(hash, p);
    }
    return p;
  };

  const processor = async (job: Job<UnitData, UnitResult>): Promise<UnitResult> => {
    const unit = job.data;
    if (unit.version !== PROTOCOL_VERSION)
      throw new Error(
        `unit ${job.id} has format version ${unit.version}; this worker speaks ${PROTOCOL_VERSION} (run the same digit version everywhere)`,
      );
    let result: Awaited<ReturnType<PreparedContext["run"]>>;
    const started = Date.now();
    try {
      result = await (await prepared(unit.context)).run(unit);
    } catch (e) {
      // BullMQ keeps only the message: carry a user error's fix and code to the coordinator.
      // What goes to Redis is redacted: a message may quote an endpoint's reply or a URL.
      if (isDigitError(e)) throw new Error(redactText(failureReason(e)));
      const plain = new Error(redactText(e instanceof Error ? e.message : String(e)));
      plain.stack = redactText(e instanceof Error && e.stack ? e.stack : plain.message);
      throw plain;
    }
    const { rows, collected } = result;
    processed++;
    logger.debug(
      `unit ${job.id}: ${unit.batch.length} rows in, ${rows.length} out, ${Date.now() - started} ms`,
      { unit: job.id },
    );
    return {
      rows,
      rejects: collected.rejects,
      llmCalls: collected.llmCalls,
      rejected: collected.rejected,
      worker: id,
    };
  };

  const worker = new Worker<UnitData, UnitResult>(QUEUE_NAME, processor, {
    connection,
    prefix: KEY_PREFIX,
    concurrency,
    name: id,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 15_000,
    maxStalledCount: options.maxStalledCount ?? 5,
    // After a failed fetch (Redis away) try again soon, not after BullMQ's default 15 s.
    runRetryDelay: 1000,
    // Results are read by the coordinator (and by a restarted one): keep them a day.
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
  // While Redis is away every retry fails: the health watcher said so once, the rest is debug detail.
  handleErrors([redis, subscriber], (e) => logger.debug(`redis: ${e.message}`));
  handleErrors([worker], (e) => {
    if (health.down) logger.debug(`worker: ${e.message}`);
    // A unit Redis no longer holds for this worker (lost in a restart, or stalled and taken back):
    // its result is dropped and the unit runs again; nothing for the person running the worker to do.
    else if (/^(Missing (key|lock)|Lock mismatch) for job/.test(e.message))
      logger.info(
        `a unit's result was dropped: Redis no longer holds it for this worker (restarted, or the unit stalled and runs elsewhere) (${e.message})`,
      );
    else logger.warn(`worker: ${e.message}`);
  });
  worker.on("failed", (job, e) => logger.warn(`unit ${job?.id ?? "?"} failed: ${e.message}`));
  await worker.waitUntilReady();
  logger.info(
    `worker ${id} ready on ${connection.host}:${connection.port} (concurrency ${concurrency}${semaphore ? ", cluster-wide credential limits" : ""})`,
  );

  let closing: Promise<void> | undefined;
  return {
    id,
    get processed() {
      return processed;
    },
    close(force = false) {
      closing ??= (async () => {
        // Units in progress are waited for while Redis is there to take their results; without it
        // (now, or from the moment it goes away) they are dropped and run again elsewhere.
        const gone = new Promise<"gone">((resolve) => {
          onRedisDown = () => resolve("gone");
          if (health.down) resolve("gone");
        });
        const graceful = worker.close(force || health.down).then(
          () => "closed" as const,
          () => "closed" as const,
        );
        if ((await Promise.race([graceful, gone])) === "gone")
          await closeWithin(
            1000,
            () => worker.close(true),
            () => void worker.disconnect().catch(() => undefined),
          );
        health.stop();
        uninstall?.();
        undoJournal?.();
        semaphore?.close();
        for (const p of contexts.values()) await (await p.catch(() => undefined))?.close();
        await closeWithin(
          health.down ? 0 : 2000,
          () => Promise.all([redis.quit(), subscriber.quit()]),
          () => {
            redis.disconnect();
            subscriber.disconnect();
          },
        );
      })();
      return closing;
    },
  };
}
