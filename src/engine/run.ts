import { randomUUID } from "node:crypto";
import type { Block, BlockContext } from "../blocks/block.js";
import { LMProvider } from "../blocks/lm/provider.js";
import { SpendGuard } from "../blocks/lm/spend-guard.js";
import type {
  DataBuilder,
  GenerationDataBuilder,
  TransformationDataBuilder,
} from "../builders/databuilder.js";
import { ConfigError } from "../errors.js";
import { GenerationTask } from "../tasks/generation-task.js";
import { appendRejects, type Task, type TaskStatus } from "../tasks/task.js";
import type { Logger } from "../telemetry/logger.js";
import { ConsoleLogger } from "../telemetry/logger.js";
import { loadPrices } from "../telemetry/prices.js";
import { costOf, roundBlocks, splitCost, type TaskFigures } from "../telemetry/summary.js";
import { NoTelemetry, type ScopedTelemetry, type Telemetry } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import { Random } from "../util/random.js";
import { assembleBuilder, createBlocks } from "./assemble.js";
import { localExecutor } from "./executor.js";
import { runGenerationLoop } from "./generation-loop.js";
import { acquireLock } from "./lock.js";
import type { LoopContext } from "./loop-context.js";
import { RunMetrics } from "./metrics.js";
import { type RunOptions, runnerOverrides } from "./options.js";
import { asOutputWriteError } from "./output-errors.js";
import { type PlannedGroup, planRun, type RunPlan } from "./plan.js";

/** How one task of a run ended. */
export interface TaskOutcome {
  task: string;
  builder: string;
  status: TaskStatus;
  records: number;
  dir: string;
  /** The task's final data file (or Parquet folder), only if it exists. */
  final?: string | undefined;
  error?: unknown;
}

/** The result of `run`. */
export interface RunResult {
  outcomes: TaskOutcome[];
  metrics: RunMetrics;
  /** The first error that stopped a builder, if any. */
  error: unknown;
}

const DEFAULT_MAX_STALLED = 100;
const DEFAULT_ATTEMPT_CAP = 1_000_000;
const DEFAULT_CONCURRENT_BATCHES = 4;
/** Builder calls in flight at most when more are started to fill spare LLM capacity. */
const MAX_FILLING_BATCHES = 32;
/**
 * The same bound for builders with a block that sends by batch API: a batch should carry every
 * request the tasks still need, not one online-sized wave after another (each wave waits for a
 * whole batch to end).
 */
const MAX_FILLING_BATCHES_BY_BATCH_API = 4096;

/**
 * Run tasks end to end: plan and check everything, take the output folders, then run every builder
 * group (concurrently; LLM limits are per credential, so groups share them safely).
 *
 * @example
 * const result = await run({ taskPaths: ["tasks/public/examples/qa/task.yaml"], namespaces: ["public"] });
 */
export async function run(options: RunOptions): Promise<RunResult> {
  return runPlan(await planRun(options), options);
}

interface Prepared {
  group: PlannedGroup;
  builder: DataBuilder;
  blocks: Block[];
  /** The group's telemetry: its spans and events nest under the group's `dgt.run` span once it starts. */
  telemetry: ScopedTelemetry;
}

/** Execute a checked plan. */
export async function runPlan(plan: RunPlan, options: RunOptions): Promise<RunResult> {
  const logger = options.logger ?? new ConsoleLogger();
  const telemetry = options.telemetry ?? new NoTelemetry();
  const metrics = options.metrics ?? new RunMetrics();
  const root = new Random(options.seed ?? 0);
  const buildId = options.buildId ?? "exp";
  const budget = spendGuard(plan, options);

  // Construct everything (blocks check their settings, e.g. API keys) before touching output.
  const prepared: Prepared[] = [];
  for (const group of plan.groups)
    prepared.push(
      await prepareGroup(plan, group, options, {
        logger,
        telemetry,
        metrics,
        root,
        buildId,
        budget,
      }),
    );
  for (const { builder } of prepared) options.executor?.check?.(builder);
  // A response cache that cannot be opened, or a model without a price under a spending cap,
  // stops the run here, before any output is touched.
  for (const { blocks, group } of prepared) {
    for (const b of blocks) {
      if (!(b instanceof LMProvider)) continue;
      b.openCache();
      budget.requirePrice(
        b.type,
        b.modelId,
        ` (block '${b.name}' of builder '${group.builderName}')`,
      );
    }
  }
  const dirs = new Map<string, string>();
  for (const { builder } of prepared) {
    for (const t of builder.tasks) {
      const other = dirs.get(t.dir);
      if (other)
        throw new ConfigError(
          `tasks '${other}' and '${t.name}' would write to the same folder '${t.dir}'`,
          { hint: "give one of them another store_name" },
        );
      dirs.set(t.dir, t.name);
    }
  }
  // A task folder (or a file in it) linked out of the output folder is refused before it is locked.
  for (const { builder } of prepared) for (const t of builder.tasks) await t.checkOutputPaths();
  const releases: (() => void)[] = [];
  const folders = [...dirs.keys()];
  try {
    for (const dir of folders) {
      try {
        releases.push(acquireLock(dir));
      } catch (e) {
        throw asOutputWriteError(e, [dir]);
      }
    }
    // Folders a task cannot continue from are refused before any task touches its own.
    for (const { builder } of prepared) for (const t of builder.tasks) await t.check();
    // Resumed tasks bring what their earlier attempts spent, before any group sends a request;
    // each checkpoint then records the task's spend so far.
    for (const { builder } of prepared)
      for (const t of builder.tasks) {
        await budget.addEarlier(t.name, await t.spentBefore());
        t.spendMeter = async () => (await budget.totals()).byTask[t.name] ?? 0;
      }
    const outcomes: TaskOutcome[] = [];
    const errors: unknown[] = [];
    await Promise.all(
      prepared.map((p) =>
        runGroup(p, options, { logger, telemetry, metrics, buildId, budget }, outcomes).catch(
          (e: unknown) => errors.push(asOutputWriteError(e, folders)),
        ),
      ),
    );
    return { outcomes, metrics, error: errors[0] };
  } finally {
    for (const release of releases) release();
  }
}

interface Shared {
  /** The run's spending caps (inactive when none is set). */
  budget: SpendGuard;
  logger: Logger;
  telemetry: Telemetry;
  metrics: RunMetrics;
  buildId: string;
}

async function prepareGroup(
  plan: RunPlan,
  group: PlannedGroup,
  options: RunOptions,
  shared: Shared & { root: Random },
): Promise<Prepared> {
  const { registry } = plan;
  let builder: DataBuilder | undefined;
  const telemetry = shared.telemetry.scoped(undefined);
  const blockContext: BlockContext = {
    builderName: group.builderName,
    telemetry,
    // Bound to the builder so block records reach its tasks' logs.jsonl.
    logger: shared.logger.child({ builder: group.builderName }),
    observer: shared.metrics,
    cache: options.cache,
    budget: shared.budget,
    rejects: (block: { name: string }, rows: Row[]) =>
      appendRejects(builder?.tasks ?? [], block.name, rows),
    execution: options.execution,
  };
  const blocks = await createBlocks(registry, group.config.blocks, blockContext, group.builderName);
  builder = await assembleBuilder({
    registry,
    cls: group.cls,
    builderName: group.builderName,
    config: group.config,
    file: group.file,
    blocks,
    tasks: group.tasks,
    root: shared.root,
    logger: shared.logger,
    telemetry,
    builderOptions: options.builderOptions,
    buildId: shared.buildId,
    writesOutput: true,
    blockContext,
  });
  for (const task of builder.tasks)
    task.onDuplicates = (n) => shared.metrics.rejected(task.name, "duplicates", n);
  return { group, builder, blocks: [...blocks.values()], telemetry };
}

async function runGroup(
  { group, builder, blocks, telemetry }: Prepared,
  options: RunOptions,
  shared: Shared,
  outcomes: TaskOutcome[],
): Promise<void> {
  const finished = new Set<Task>();
  const startedAt = Math.floor(Date.now() / 1000);
  /**
   * End a task: write its final data (unless it failed or was cancelled), then its terminal status
   * line. A write that fails (a full disk) turns the status into `errored` and is thrown after the
   * status line was attempted; the outcome names the final data only if that file exists.
   */
  const finish = async (task: Task, status: TaskStatus, error?: unknown): Promise<void> => {
    if (finished.has(task)) return;
    finished.add(task);
    let records = task.accepted.length;
    let failure: unknown;
    if (status !== "cancelled" && status !== "errored") {
      try {
        records = await task.writeFinal(
          builder.hasFinalize ? (rows) => builder.finalize(task, rows) : undefined,
        );
      } catch (e) {
        failure = asOutputWriteError(e, [task.dir]);
        status = "errored";
        error = failure;
      }
    }
    let extra: Row = {};
    if (status === "completed") {
      try {
        extra = await builder.taskMetrics(task);
      } catch (e) {
        shared.logger.warn(
          `task '${task.name}': builder metrics not recorded: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    const m = shared.metrics.task(task.name);
    m.status = status;
    m.endedAt = Date.now();
    // A task that never opened (its folder was refused) leaves the folder as it found it.
    if (task.opened) {
      try {
        await task.appendLine(
          "task_results.jsonl",
          resultRecord(task, status, startedAt, shared.metrics, error, extra),
        );
      } catch (e) {
        const err = asOutputWriteError(e, [task.dir]);
        shared.logger.warn(
          `task '${task.name}': could not record status '${status}' in task_results.jsonl: ${err instanceof Error ? err.message : String(err)}`,
        );
        failure ??= err;
      }
    }
    telemetry.event("task_finished", {
      builder_name: builder.name,
      task_name: task.name,
      reason: status,
      records,
    });
    // Spend after the last commit (requests of batches a cap left uncommitted) is recorded too.
    await task.saveSpend().catch((e: unknown) => {
      failure ??= asOutputWriteError(e, [task.dir]);
    });
    const final = await task.finalLocation().catch(() => undefined);
    outcomes.push({
      task: task.name,
      builder: builder.name,
      status,
      records,
      dir: task.dir,
      final,
      ...(error === undefined ? {} : { error }),
    });
    await task.close();
    if (failure !== undefined) throw failure;
  };
  const fixedWidth =
    group.config.max_concurrent_batches ?? group.config.max_workers ?? options.executor?.width;
  const ctx: LoopContext = {
    metrics: shared.metrics,
    signal: options.signal,
    maxStalled: Number(
      options.maxStalledAttempts ?? group.config.max_stalled_attempts ?? DEFAULT_MAX_STALLED,
    ),
    attemptCap: Number(
      options.numAttemptsToComplete ?? group.config.num_attempts_to_complete ?? DEFAULT_ATTEMPT_CAP,
    ),
    // DiGiT's `max_workers` (its thread-pool size) means the same: builder calls in flight.
    width: Number(fixedWidth ?? DEFAULT_CONCURRENT_BATCHES),
    // Without a fixed width, calls in process go beyond the default while the builder's LLM
    // limiters have spare capacity (rows of the next batches fill the credential).
    fillWidth:
      fixedWidth === undefined
        ? blocks.some(sendsByBatch)
          ? MAX_FILLING_BATCHES_BY_BATCH_API
          : MAX_FILLING_BATCHES
        : undefined,
    executor: options.executor ?? localExecutor,
    budget: shared.budget,
    finish,
  };
  const span = shared.telemetry.startSpan("dgt.run", {
    builder_name: builder.name,
    task_names: builder.tasks.map((t) => t.name).join(","),
  });
  // The group's block, postprocessing and LLM spans and its events nest under the run span.
  telemetry.scope = span;
  try {
    for (const task of builder.tasks) {
      await task.open();
      // The target first, so no progress line shows a generation task without it.
      if (task instanceof GenerationTask) shared.metrics.task(task.name, "generation", task.target);
      shared.metrics.taskOpened({
        task: task.name,
        builder: builder.name,
        dir: task.dir,
        resumed: task.resumed,
        accepted: task.accepted.length,
      });
      await writeTaskCard(task, builder, shared.buildId, options);
      await task.appendLine("task_results.jsonl", {
        PID: process.pid,
        status: "running",
        start_time: startedAt,
        end_time: null,
        metrics: { "Number of data produced": task.accepted.length },
      });
      telemetry.event(task.resumed ? "task_resumed" : "task_started", {
        builder_name: builder.name,
        task_name: task.name,
        records: task.accepted.length,
      });
    }
    span.set({ resumed: builder.tasks.some((t) => t.resumed) });
    telemetry.event("run_started", {
      builder_name: builder.name,
      task_names: builder.tasks.map((t) => t.name),
      pid: process.pid,
      resumed: builder.tasks.some((t) => t.resumed),
    });
    await builder.setup();
    if (builder.kind === "generation")
      await runGenerationLoop(builder as GenerationDataBuilder, ctx);
    else
      await (await import("./transformation-loop.js")).runTransformationLoop(
        builder as TransformationDataBuilder,
        ctx,
      );
    const cancelled = options.signal?.aborted === true;
    telemetry.event(cancelled ? "run_cancelled" : "run_finished", { builder_name: builder.name });
    span.end(cancelled ? "cancelled" : "ok");
  } catch (caught) {
    // A full or read-only disk is the user's to fix: say which folder, not a stack trace.
    const e = asOutputWriteError(
      caught,
      builder.tasks.map((t) => t.dir),
    );
    for (const t of builder.tasks) await finish(t, "errored", e).catch(() => undefined);
    telemetry.event("run_errored", {
      builder_name: builder.name,
      error: e instanceof Error ? e.message : String(e),
    });
    span.end("error", e);
    throw e;
  } finally {
    for (const b of blocks) await b.close().catch(() => undefined);
    await builder.close().catch(() => undefined);
  }
}

async function writeTaskCard(
  task: Task,
  builder: DataBuilder,
  buildId: string,
  options: RunOptions,
): Promise<void> {
  let runId: string = randomUUID();
  if (!task.restart) {
    const cards = (await task.readLines("task_card.jsonl")).filter((c) => c.build_id === buildId);
    const last = cards[cards.length - 1];
    if (typeof last?.run_id === "string") runId = last.run_id;
  }
  await task.appendLine("task_card.jsonl", {
    task_name: task.name,
    databuilder_name: builder.name,
    // Configs may carry secrets (api_key, headers, URL userinfo, extra_body): appendLine redacts
    // the whole card in one pass, so a key found in the builder config is also caught in the spec.
    task_spec: { task_init: task.spec, task_kwargs: runnerOverrides(options, task.kind) },
    databuilder_spec: builder.config,
    build_id: buildId,
    run_id: runId,
    save_formatted_output: task.runnerConfig.save_formatted_output,
    process_id: process.pid,
    seed: options.seed ?? 0,
  });
}

/**
 * The caps of a run: `--max-cost`, the run config's `budget:` (the smaller applies) and each
 * task's `budget:`. Without a cap, spend is still counted where prices are readable (so that a
 * resumed run with a cap knows what was paid before).
 */
function spendGuard(plan: RunPlan, options: RunOptions): SpendGuard {
  const tasks: Record<string, number> = {};
  for (const g of plan.groups)
    for (const t of g.tasks)
      if (typeof t.spec.budget === "number") tasks[String(t.spec.task_name)] = t.spec.budget;
  const fromFile = plan.budget;
  const useFile =
    fromFile !== undefined && (options.maxCost === undefined || fromFile.usd < options.maxCost);
  const run = useFile ? fromFile.usd : options.maxCost;
  const active = run !== undefined || Object.keys(tasks).length > 0;
  const cwd = options.cwd ?? process.cwd();
  const prices = active ? loadPrices(cwd) : pricesIfReadable(cwd);
  const caps = { run, runSource: useFile ? `budget: in ${fromFile.file}` : "--max-cost", tasks };
  // A distributed executor keeps the spend where all its workers count it (and, under a cap,
  // reserve on it), so the tasks' checkpoints record it also when no cap is set.
  const counts = active || Object.keys(prices).length > 0;
  const ledger = counts ? options.executor?.spendLedger?.({ caps, prices }) : undefined;
  return new SpendGuard(prices, caps, ledger);
}

/** The price table, or none when it cannot be read (no cap needs it then). */
function pricesIfReadable(cwd: string): ReturnType<typeof loadPrices> {
  try {
    return loadPrices(cwd);
  } catch {
    return {};
  }
}

/** What a task's cache hits would have cost (null when a model has no price or prices are unreadable). */
function savedUsd(m: TaskFigures): number | null {
  if (Object.keys(m.savedByModel).length === 0) return 0;
  try {
    const saved = costOf(loadPrices(), m.savedByModel, []);
    return saved === null ? null : Math.round(saved * 1e6) / 1e6;
  } catch {
    return null;
  }
}

function resultRecord(
  task: Task,
  status: TaskStatus,
  startedAt: number,
  metrics: RunMetrics,
  error: unknown,
  extra: Row = {},
): Row {
  const m = metrics.task(task.name);
  const round = (x: number) => Math.round(x);
  return {
    PID: process.pid,
    status,
    start_time: startedAt,
    end_time: Math.floor(Date.now() / 1000),
    ...(error === undefined
      ? {}
      : { message: error instanceof Error ? error.message : String(error) }),
    metrics: {
      "Number of data produced": task.accepted.length,
      records: task.finalCount(),
      ...(m.target !== undefined ? { target: m.target } : {}),
      produced: m.produced,
      rejected: m.rejected,
      epochs: task.postprocessEpoch,
      requests: round(m.requests),
      ...(m.batchRequests
        ? {
            batch_requests: round(m.batchRequests),
            online_requests: round(m.requests - m.batchRequests),
          }
        : {}),
      failed_requests: round(m.failedRequests),
      failures: Object.fromEntries(Object.entries(m.failures).map(([k, v]) => [k, round(v)])),
      prompt_tokens: round(m.promptTokens),
      completion_tokens: round(m.completionTokens),
      blocks: roundBlocks(m.byBlock),
      cache_hits: round(m.cacheHits),
      cache_misses: round(m.cacheMisses),
      saved_usd: savedUsd(m),
      ...(m.batchRequests ? { ...batchTokens(m), ...batchMoney(m) } : {}),
      duration_s: Math.round((Date.now() - m.startedAt) / 100) / 10,
      ...extra,
    },
  };
}

/** Whether a block sends (some of) its requests by a provider's batch API. */
function sendsByBatch(block: Block): boolean {
  return block instanceof LMProvider && block.execution !== "online";
}

/**
 * What a task's requests cost at each price (batch and online), as the summary shows it; null
 * figures when a model has no price or the price files cannot be read.
 */
function batchMoney(m: TaskFigures): Row {
  let split: ReturnType<typeof splitCost>;
  try {
    split = splitCost(loadPrices(), m.tokensByModel);
  } catch {
    return { cost_usd: null, cost_online_usd: null, cost_batch_usd: null };
  }
  const usd = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
  const { online, batch } = split;
  return {
    cost_usd: usd(online === null || batch === null ? null : online + batch),
    cost_online_usd: usd(online),
    cost_batch_usd: usd(batch),
  };
}

/** Tokens sent by batch API (billed at batch prices), summed over the task's models. */
function batchTokens(m: {
  tokensByModel: Record<
    string,
    { batch_prompt?: number | undefined; batch_completion?: number | undefined }
  >;
}): Row {
  const all = Object.values(m.tokensByModel);
  return {
    batch_prompt_tokens: Math.round(all.reduce((s, t) => s + (t.batch_prompt ?? 0), 0)),
    batch_completion_tokens: Math.round(all.reduce((s, t) => s + (t.batch_completion ?? 0), 0)),
  };
}
