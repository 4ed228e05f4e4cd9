import type { CacheSettings } from "../cache/settings.js";
import type { RunnerOverrides } from "../config/schemas.js";
import type { Logger } from "../telemetry/logger.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import type { BatchExecutor } from "./executor.js";
import type { RunMetrics } from "./metrics.js";

/** What to run: task files, where plugins and builders are, and the run-wide settings. */
export interface RunInputs {
  /** Task files, folders or globs. */
  taskPaths: string[];
  /** A DiGiT `--config-path` override file. */
  configPath?: string | undefined;
  namespaces?: string[] | undefined;
  pluginDirs?: string[] | undefined;
  builderPaths?: string[] | undefined;
  /** How every LLM block sends its requests (overrides each block's `execution`). */
  execution?: "online" | "batch" | "auto" | undefined;
  /** Seed for every random choice (default: a fixed 0, so runs are reproducible unless changed). */
  seed?: number | undefined;
  buildId?: string | undefined;
  /** Builder options (DiGiT's builder group): num_prompt_instructions, prompt_file_path, ... */
  builderOptions?: Row | undefined;
  maxStalledAttempts?: number | undefined;
  numAttemptsToComplete?: number | undefined;
  cwd?: string | undefined;
}

/**
 * Per-task overrides (DiGiT's task options): each replaces the same `runner_config` key of every
 * task where it applies. `runnerOverrides` names their keys; planning writes them into each
 * task's runner config before it is parsed.
 */
export interface TaskOverrides {
  /** `num_outputs_to_generate` (generation tasks). */
  numOutputsToGenerate?: number | undefined;
  /** `seed_batch_size` (generation tasks). */
  seedBatchSize?: number | undefined;
  /** `machine_batch_size` (generation tasks). */
  machineBatchSize?: number | undefined;
  /** `restart_generation`. */
  restart?: boolean | undefined;
  /** `output_dir`. */
  outputDir?: string | undefined;
  /** `save_formatted_output`. */
  saveFormattedOutput?: boolean | undefined;
}

/** Services the run uses and reports to; none of them changes what is generated. */
export interface RunServices {
  logger?: Logger | undefined;
  telemetry?: Telemetry | undefined;
  metrics?: RunMetrics | undefined;
  /** Where builder calls run (default: in this process). */
  executor?: BatchExecutor | undefined;
  /** The run's spending cap in USD (`--max-cost`); tasks may set their own `budget:`. */
  maxCost?: number | undefined;
  /** Response cache folder and on/off (`--cache-dir`, `--no-cache`); default: `$DGT_CACHE_DIR`, on. */
  cache?: Partial<CacheSettings> | undefined;
  /** Aborting stops dispatching new batches; in-flight ones finish and are saved. */
  signal?: AbortSignal | undefined;
}

/** Everything `digit run` can be told (CLI flags map onto these one to one). */
export interface RunOptions extends RunInputs, TaskOverrides, RunServices {}

/**
 * The task overrides under their `runner_config` names (only those given), for a task of
 * `family`: the one place they are named, used to write them into every task's runner config
 * and to record them in its task card.
 *
 * @example
 * runnerOverrides({ numOutputsToGenerate: 50, restart: true }, "generation")
 * // { num_outputs_to_generate: 50, restart_generation: true }
 */
export function runnerOverrides(
  o: TaskOverrides,
  family: "generation" | "transformation",
): RunnerOverrides {
  const all: RunnerOverrides = {
    output_dir: o.outputDir,
    save_formatted_output: o.saveFormattedOutput,
    restart_generation: o.restart,
    // DiGiT crashed when these were given for a transformation task; here they do not apply.
    ...(family === "generation"
      ? {
          num_outputs_to_generate: o.numOutputsToGenerate,
          seed_batch_size: o.seedBatchSize,
          machine_batch_size: o.machineBatchSize,
        }
      : {}),
  };
  for (const key of Object.keys(all) as (keyof RunnerOverrides)[])
    if (all[key] === undefined) delete all[key];
  return all;
}
