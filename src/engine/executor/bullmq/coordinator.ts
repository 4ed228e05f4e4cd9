import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import type {
  DataBuilder,
  GenerationDataBuilder,
  TransformationDataBuilder,
} from "../../../builders/databuilder.js";
import { BudgetExhausted, DigitError, isDigitError } from "../../../errors.js";
import { appendRejects, type Task } from "../../../tasks/task.js";
import { type Logger, silentLogger } from "../../../telemetry/logger.js";
import type { RunObserver } from "../../../telemetry/observer.js";
import type { Row } from "../../../util/mapping.js";
import type { BatchExecutor } from "../../executor.js";
import { ClusterSemaphore, installClusterLimits } from "./cluster-limit.js";
import {
  checkReachable,
  contextKey,
  digest,
  displayUrl,
  KEY_PREFIX,
  PROTOCOL_VERSION,
  parseFailure,
  QUEUE_NAME,
  redisConnection,
  type UnitBudget,
  type UnitContext,
  type UnitData,
  type UnitResult,
  unitJobId,
} from "./protocol.js";
import { closeWithin, handleErrors } from "./redis-health.js";
import { referSecrets } from "./secrets.js";
import { RedisSpendLedger, spendKey } from "./spend-ledger.js";
import { type StoredContext, UnitTracker } from "./unit-tracker.js";

/** How the coordinator side of a distributed run is set up. */
export interface BullmqExecutorOptions {
  /** redis://host:port */
  url: string;
  /** Registry settings workers use to find builders and blocks (defaults: the worker's own). */
  namespaces?: string[] | undefined;
  pluginDirs?: string[] | undefined;
  builderPaths?: string[] | undefined;
  cwd?: string | undefined;
  /** The run's --seed (workers derive per-unit PRNGs from it). */
  seed?: number | undefined;
  buildId?: string | undefined;
  /** The run's --execution: workers build every LLM block with it (default: each block's own). */
  execution?: "online" | "batch" | "auto" | undefined;
  /** Where LLM call reports and reject counts from workers go (the run's RunMetrics). */
  observer?: RunObserver | undefined;
  logger?: Logger | undefined;
  /** Builder calls in flight per builder unless its YAML sets max_concurrent_batches (default 32). */
  width?: number | undefined;
  /** Take cluster-wide credential slots for LLM calls made here (postprocessors). Default true. */
  clusterLimits?: boolean | undefined;
  /** Where secrets in builder configs are looked up to send them as variable names (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Fail the run with DIGIT_REDIS_LOST when Redis has been unreachable this long (ms; default 60000). */
  redisTimeoutMs?: number | undefined;
  /** The run's stop signal: once aborted, an outage of Redis fails the units in flight at once. */
  signal?: AbortSignal | undefined;
}

/** How long a run waits for Redis to come back by default (ms). */
export const DEFAULT_REDIS_TIMEOUT_MS = 60_000;

/** A builder's run key and its context as stored in Redis (under `key`, named by `hash` in units). */
interface BuilderKeys {
  runKey: string;
  context: StoredContext & { hash: string };
}

interface BuilderState {
  seq: number;
  keys: Promise<BuilderKeys>;
}

/** How long builder contexts stay in Redis (every coordinator start writes them again). */
const KEEP_CONTEXT_S = 7 * 24 * 3600;

/**
 * The coordinator's executor: every builder call becomes a BullMQ job with a deterministic id
 * (`<builder>-<runKey>-<seq>-<batch digest>`), a worker runs it, and the rows come back to the
 * engine's loop, which commits them in start order as in a local run. Rejected rows and LLM call
 * reports come back with the rows and are written / counted here.
 *
 * API keys never reach Redis: before a builder's context is stored, every secret in its config is
 * replaced by the name of the coordinator's environment variable that holds it (secrets.ts), and
 * workers read that variable from their own environment. A secret no variable holds (written
 * literally in the YAML) fails the builder with DIGIT_SECRET_NOT_IN_ENV before any of its units
 * is enqueued.
 *
 * The run key hashes the output folders, the build id, the task cards' run ids and the tasks'
 * checkpoints when the builder's first call is made: a coordinator restarted without --restart
 * from the same checkpoint asks for the same units and gets the results already in Redis; a
 * --restart (new run id) or a later checkpoint gives new ids.
 *
 * Redis may go away mid-run (UnitTracker): when it comes back, units it lost are submitted again
 * under the same ids (with their builder contexts); when it stays away longer than
 * `redisTimeoutMs`, or the run is stopped meanwhile, the run fails with DIGIT_REDIS_LOST and the
 * same command resumes it. Every connection handles its `error` events (no ioredis stack traces)
 * and closing never waits for an unreachable server.
 *
 * @example
 * const executor = await createBullmqExecutor({ url: "redis://127.0.0.1:6379", observer: metrics });
 * await run({ taskPaths, executor });
 * await executor.close();
 */
export async function createBullmqExecutor(
  options: BullmqExecutorOptions,
): Promise<BatchExecutor & { readonly url: string }> {
  const connection = redisConnection(options.url);
  const logger = options.logger ?? silentLogger;
  const shownUrl = displayUrl(options.url);
  await checkReachable(connection, options.url);
  const redis = new Redis(connection);
  const queue = new Queue<UnitData, UnitResult>(QUEUE_NAME, { connection, prefix: KEY_PREFIX });
  // Short blocking reads: a read in progress when Redis goes away holds the process for up to this
  // long (plus a second) after close, so a stopped coordinator exits within seconds.
  const events = new QueueEvents(QUEUE_NAME, {
    connection,
    prefix: KEY_PREFIX,
    blockingTimeout: 2000,
  });
  const subscriber = options.clusterLimits !== false ? new Redis(connection) : undefined;
  // The tracker says once that Redis is gone; each connection's retries are debug detail.
  handleErrors([redis, queue, events, subscriber], (e) => logger.debug(`redis: ${e.message}`));
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  let semaphore: ClusterSemaphore | undefined;
  let uninstall: (() => void) | undefined;
  if (subscriber) {
    semaphore = new ClusterSemaphore(redis, subscriber, { logger });
    uninstall = installClusterLimits(semaphore);
  }
  const tracker = new UnitTracker(queue, events, redis, {
    url: shownUrl,
    lostAfterMs: options.redisTimeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS,
    signal: options.signal,
    contextTtlS: KEEP_CONTEXT_S,
    // LLM calls of postprocessors here wait for cluster slots in Redis: they fail too.
    onLost: () => semaphore?.close(),
    logger,
  });
  const states = new WeakMap<DataBuilder, BuilderState>();
  /** The run's spending caps and where its shared spend is kept (set when a cap is). */
  let budget: UnitBudget | undefined;
  let warnedNoWorkers = false;

  const stateOf = (builder: DataBuilder): BuilderState => {
    let s = states.get(builder);
    if (!s) {
      s = { seq: 0, keys: keysOf(builder) };
      states.set(builder, s);
    }
    return s;
  };

  async function keysOf(builder: DataBuilder): Promise<BuilderKeys> {
    const identity: Row[] = [];
    for (const t of builder.tasks)
      identity.push({
        dir: resolve(t.dir),
        runId: await runIdOf(t, options.buildId ?? "exp"),
        checkpoint: t.checkpoint,
        accepted: t.accepted.length,
      });
    const runKey = digest({ buildId: options.buildId ?? "exp", builder: builder.name, identity });
    const json = JSON.stringify(contextOf(builder));
    const hash = digest(json, 24);
    await redis.set(contextKey(hash), json, "EX", KEEP_CONTEXT_S);
    return { runKey, context: { hash, key: contextKey(hash), json } };
  }

  /** What a worker needs to rebuild `builder`, with every secret replaced by its variable's name. */
  function contextOf(builder: DataBuilder): UnitContext {
    return referSecrets(
      {
        version: PROTOCOL_VERSION,
        builderName: builder.name,
        config: builder.config,
        file: builder.file,
        builderOptions: builder.options,
        ...(budget ? { budget } : {}),
        tasks: builder.tasks.map((t) => ({
          spec: t.spec,
          file: t.file,
          runnerConfig: t.runnerConfig,
        })),
        namespaces: options.namespaces ?? [],
        pluginDirs: (options.pluginDirs ?? []).map((d) => resolve(options.cwd ?? process.cwd(), d)),
        builderPaths: (options.builderPaths ?? []).map((d) =>
          resolve(options.cwd ?? process.cwd(), d),
        ),
        seed: options.seed ?? 0,
        ...(options.execution ? { execution: options.execution } : {}),
      },
      options.env ?? process.env,
    );
  }

  async function dispatch(
    builder: DataBuilder,
    kind: UnitData["kind"],
    requestIdx: number,
    batch: Row[],
  ): Promise<Row[]> {
    // The sequence number is taken before any await: calls arrive in the loop's start order.
    const state = stateOf(builder);
    const seq = state.seq++;
    const { runKey, context } = await tracker.guard(state.keys);
    const data: UnitData = {
      version: PROTOCOL_VERSION,
      context: context.hash,
      kind,
      requestIdx,
      seq,
      runKey,
      batch,
    };
    const jobId = unitJobId(builder.name, runKey, seq, digest({ kind, requestIdx, batch }, 8));
    void warnIfNoWorkers();
    let result: UnitResult;
    try {
      result = await tracker.run(jobId, data, context);
    } catch (e) {
      if (isDigitError(e)) throw e;
      // A user error on the worker (e.g. a variable it lacks) stays a user error here, with its fix.
      const failure = parseFailure(e instanceof Error ? e.message : String(e));
      // A spending cap refused a request on the worker: the run stops cleanly, as in a local run.
      if (failure.code === "DIGIT_BUDGET_EXHAUSTED") throw new BudgetExhausted(failure.message);
      const message = `builder '${builder.name}' failed on a worker (unit ${jobId}): ${failure.message}`;
      throw failure.code
        ? new DigitError(failure.code, message, { hint: failure.hint })
        : new Error(message);
    }
    await absorb(builder, result);
    return result.rows;
  }

  async function warnIfNoWorkers(): Promise<void> {
    if (warnedNoWorkers) return;
    warnedNoWorkers = true;
    const workers = await queue.getWorkers().catch(() => undefined);
    if (workers && workers.length === 0)
      logger.warn(
        `no digit worker is connected to ${shownUrl}: units wait in the queue until one starts (digit worker ${shownUrl})`,
      );
  }

  /** Write what the worker's validators rejected and count what its blocks reported. */
  async function absorb(builder: DataBuilder, result: UnitResult): Promise<void> {
    for (const r of result.llmCalls) options.observer?.llmCall?.(r);
    for (const [task, block, n] of result.rejected) options.observer?.rejected?.(task, block, n);
    for (const { block, rows } of result.rejects)
      await appendRejects(builder.tasks, block.name, rows);
  }

  let closed = false;
  return {
    name: "bullmq",
    url: options.url,
    width: options.width ?? 32,
    check: (builder: DataBuilder) => void contextOf(builder),
    spendLedger({ caps, prices }) {
      // A new hash per coordinator run: what earlier runs spent comes from the tasks' checkpoints.
      budget = { key: spendKey(randomUUID()), caps, prices };
      return new RedisSpendLedger(redis, budget.key, caps);
    },
    generate: (builder: GenerationDataBuilder, requestIdx: number, batch: Row[]) =>
      dispatch(builder, "generation", requestIdx, batch),
    transform: (builder: TransformationDataBuilder, batch: Row[]) =>
      dispatch(builder, "transformation", 0, batch),
    async close() {
      if (closed) return;
      closed = true;
      const down = tracker.redisDown;
      tracker.close();
      uninstall?.();
      semaphore?.close();
      // A quit sent to an unreachable Redis waits for a reconnect: drop the connections instead.
      await closeWithin(
        down ? 0 : 2000,
        () => Promise.all([events.close(), queue.close(), redis.quit(), subscriber?.quit()]),
        () => {
          for (const c of [events, queue]) void c.disconnect().catch(() => undefined);
          redis.disconnect();
          subscriber?.disconnect();
        },
      );
    },
  };
}

/** The run id of the task's latest card for this build (written before the first call). */
async function runIdOf(task: Task, buildId: string): Promise<string> {
  const cards = (await task.readLines("task_card.jsonl")).filter((c) => c.build_id === buildId);
  const last = cards[cards.length - 1];
  return typeof last?.run_id === "string" ? last.run_id : "";
}
