import type { Row } from "../util/mapping.js";
import type { Logger } from "../telemetry/logger.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { BatchExecutor } from "./executor.js";
import type { RunMetrics } from "./metrics.js";

/** Everything `digit run` can be told (CLI flags map onto these one to one). */
export interface RunOptions {
  /** Task files, folders or globs. */
  taskPaths: string[];
  /** A DiGiT `--config-path` override file. */
  configPath?: string | undefined;
  namespaces?: string[] | undefined;
  pluginDirs?: string[] | undefined;
  builderPaths?: string[] | undefined;
  /** Task options (apply to every task where they make sense). */
  numOutputsToGenerate?: number | undefined;
  seedBatchSize?: number | undefined;
  machineBatchSize?: number | undefined;
  restart?: boolean | undefined;
  outputDir?: string | undefined;
  saveFormattedOutput?: boolean | undefined;
  /** Seed for every random choice (default: a fixed 0, so runs are reproducible unless changed). */
  seed?: number | undefined;
  buildId?: string | undefined;
  /** Builder options (DiGiT's builder group): num_prompt_instructions, prompt_file_path, ... */
  builderOptions?: Row | undefined;
  maxStalledAttempts?: number | undefined;
  numAttemptsToComplete?: number | undefined;
  cwd?: string | undefined;
  logger?: Logger | undefined;
  telemetry?: Telemetry | undefined;
  metrics?: RunMetrics | undefined;
  /** Where builder calls run (default: in this process). */
  executor?: BatchExecutor | undefined;
  /** Aborting stops dispatching new batches; in-flight ones finish and are saved. */
  signal?: AbortSignal | undefined;
}
