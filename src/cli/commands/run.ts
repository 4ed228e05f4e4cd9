import { relative } from "node:path";
import { prepareEnvironment } from "../../config/env.js";
import { RunMetrics } from "../../engine/metrics.js";
import type { RunOptions } from "../../engine/options.js";
import { run, type TaskOutcome } from "../../engine/run.js";
import { isDigitError } from "../../errors.js";
import type { Row } from "../../util/mapping.js";
import { num, str } from "../option-spec.js";
import { printError } from "../print-error.js";
import { startRunReporting } from "../run-reporting.js";
import { taskRunOptions } from "./run-options.js";

/** Exit code of a run that stopped at a spending cap (`--max-cost`, a task's `budget:`). */
export const BUDGET_EXHAUSTED_EXIT_CODE = 4;

/**
 * `digit run`: turn parsed CLI options into RunOptions, run, print the outcome, return the exit code.
 *
 * @example
 * process.exitCode = await runCommand(["tasks/qa/task.yaml"], { restart: true });
 */
export async function runCommand(
  positional: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const cwd = process.cwd();
  if (typeof opts.dataDir === "string") process.env.DGT_DATA_DIR = opts.dataDir;
  prepareEnvironment(cwd);
  if (opts.dryRun === true)
    return (await import("./estimate.js")).estimateCommand(positional, opts);
  // Progress, telemetry files, per-task logs.jsonl and the end-of-run summary (src/cli/run-reporting.ts).
  const metrics = new RunMetrics();
  const reporting = startRunReporting({
    cwd,
    metrics,
    quiet: opts.quiet === true,
    debug: opts.debug === true,
    logFormat: str(opts.logFormat),
    buildId: str(opts.buildId),
    outputDir: str(opts.outputDir),
    otlpEndpoint: str(opts.otlpEndpoint),
  });
  const logger = reporting.logger;
  if (opts.rayAddress !== undefined)
    logger.warn("--ray-address is accepted for DiGiT compatibility and ignored");

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: string) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    logger.warn(
      `${signal}: stopping after the requests in flight are saved (press Ctrl-C again to quit at once)`,
    );
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const options: RunOptions = {
    ...taskRunOptions(positional, opts, cwd),
    seed: num(opts.seed),
    buildId: str(opts.buildId),
    builderOptions: builderOptions(opts),
    maxStalledAttempts: num(opts.maxStalledRequests),
    numAttemptsToComplete: num(opts.maxGenRequests),
    logger,
    telemetry: reporting.telemetry,
    metrics,
    signal: controller.signal,
    cache: { enabled: opts.cache === false ? false : undefined, dir: str(opts.cacheDir) },
    maxCost: typeof opts.maxCost === "number" ? opts.maxCost : undefined,
  };
  try {
    if (typeof opts.executor === "string") {
      // Imported only when asked for, so a local run never loads BullMQ.
      const { createBullmqExecutor } = await import("../../engine/executor/bullmq/coordinator.js");
      const redisTimeout = num(opts.redisTimeout);
      options.executor = await createBullmqExecutor({
        url: opts.executor,
        namespaces: options.namespaces,
        pluginDirs: options.pluginDirs,
        builderPaths: options.builderPaths,
        cwd,
        seed: options.seed,
        buildId: options.buildId,
        execution: options.execution,
        observer: metrics,
        logger,
        redisTimeoutMs: redisTimeout === undefined ? undefined : redisTimeout * 1000,
        signal: controller.signal,
      });
    }
    const result = await run(options);
    reporting.stopProgress();
    for (const o of result.outcomes) logger.info(outcomeLine(o, cwd));
    reporting.summarize(result.outcomes);
    if (result.error !== undefined) throw result.error;
    if (controller.signal.aborted) return 130;
    const overBudget = result.outcomes.find((o) => o.status === "budget_exhausted");
    if (overBudget) {
      const why =
        overBudget.error instanceof Error ? overBudget.error.message : "a spending cap was reached";
      logger.warn(
        `stopped: ${why}. Nothing was committed past that point; rerun the same command with a higher cap to resume (answers already received come from the response cache)`,
      );
      return BUDGET_EXHAUSTED_EXIT_CODE;
    }
    return result.outcomes.every((o) => o.status === "completed") ? 0 : 3;
  } catch (e) {
    reporting.stopProgress();
    if (isDigitError(e)) {
      printError(e.format());
      return 1;
    }
    throw e;
  } finally {
    await options.executor?.close();
    await reporting.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/**
 * One line per task: its status and records, naming the final data only if that file exists
 * (a failed or cancelled task has none: its accepted records are in its folder, to resume).
 */
function outcomeLine(o: TaskOutcome, cwd: string): string {
  const shown = (p: string) => {
    const rel = relative(cwd, p);
    return rel.startsWith("..") ? p : rel;
  };
  const head = `${o.status === "completed" ? "done" : o.status}: ${o.task} — ${o.records} records`;
  if (o.final) return `${head} in ${shown(o.final)}`;
  if (o.records === 0) return head;
  return `${head} accepted, no final data written (they are kept in ${shown(o.dir)}; run the same command again to resume)`;
}

function builderOptions(opts: Record<string, unknown>): Row {
  const out: Row = {};
  if (opts.numPromptInstructions !== undefined)
    out.num_prompt_instructions = opts.numPromptInstructions;
  if (opts.promptFilePath !== undefined) out.prompt_file_path = opts.promptFilePath;
  return out;
}
