import { existsSync } from "node:fs";
import { InvalidArgumentError } from "commander";
import type { RunOptions } from "../../engine/options.js";
import { list, num, type OptionSpec, str, toList } from "../option-spec.js";

/** Every option of `digit run`, with DiGiT's names. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--task-paths <paths...>",
    key: "taskPaths",
    description: "task files or folders (alias of the positional arguments, as in DiGiT)",
    group: "base",
  },
  {
    flags: "--data-paths <paths...>",
    key: "dataPaths",
    description: "deprecated DiGiT alias of --task-paths",
    group: "base",
    hidden: true,
  },
  {
    flags: "--config-path <file>",
    key: "configPath",
    description: "DiGiT override file: task_files, tasks and databuilders to merge",
    group: "base",
  },
  {
    flags: "--include-namespaces <names...>",
    key: "includeNamespaces",
    description: "enable more namespaces besides core (e.g. public); comma list or repeated",
    parse: toList,
    group: "base",
  },
  {
    flags: "--include-ns <names...>",
    key: "includeNs",
    description: "short alias of --include-namespaces",
    parse: toList,
    group: "base",
    hidden: true,
  },
  {
    flags: "--include-builder-paths <paths...>",
    key: "includeBuilderPaths",
    description: "extra builder YAML files or folders",
    group: "base",
  },
  {
    flags: "--plugin-dir <dir>",
    key: "pluginDir",
    description: "extra plugin folder (./plugins is always scanned); repeatable",
    parse: toList,
    group: "base",
  },
  {
    flags: "--num-outputs-to-generate <n>",
    key: "numOutputsToGenerate",
    description: "records to generate per generation task",
    integer: { min: 0 },
    group: "task",
  },
  {
    flags: "--seed-batch-size <n>",
    key: "seedBatchSize",
    description: "seed examples per batch (generation tasks)",
    integer: { min: 1 },
    group: "task",
  },
  {
    flags: "--machine-batch-size <n>",
    key: "machineBatchSize",
    description: "generated examples mixed into each batch (generation tasks)",
    integer: { min: 0 },
    group: "task",
  },
  {
    flags: "--restart",
    key: "restart",
    description: "discard earlier output of the tasks and start fresh",
    group: "task",
  },
  {
    flags: "--restart-generation",
    key: "restartGeneration",
    description: "DiGiT alias of --restart",
    group: "task",
    hidden: true,
  },
  {
    flags: "--output-dir <dir>",
    key: "outputDir",
    description: "root folder of task outputs (default $DGT_OUTPUT_DIR or ./output)",
    group: "task",
  },
  {
    flags: "--save-formatted-output",
    key: "saveFormattedOutput",
    description: "also write formatted_data with the task's formatter",
    group: "task",
  },
  {
    flags: "--data-dir <dir>",
    key: "dataDir",
    description: "root of input data: sets DGT_DATA_DIR (default ./data)",
    group: "base",
  },
  {
    flags: "--execution <mode>",
    key: "execution",
    description:
      "how every LLM block sends requests: online, batch (provider batch APIs, about half the price) or auto (first requests online, the rest by batch); default: each block's execution",
    choices: ["online", "batch", "auto"],
    group: "base",
  },
  {
    flags: "--seed <n>",
    key: "seed",
    description: "seed for every random choice, for reproducible runs (default 0)",
    integer: { min: 0 },
    group: "base",
  },
  {
    flags: "--build-id <id>",
    key: "buildId",
    description: "experiment id written to task cards (default exp)",
    group: "base",
  },
  {
    flags: "--num-prompt-instructions <n>",
    key: "numPromptInstructions",
    description: "builder option: ICL examples per prompt (public/instructlab/simple)",
    integer: { min: 1 },
    group: "builder",
  },
  {
    flags: "--prompt-file-path <file>",
    key: "promptFilePath",
    description: "builder option: prompt template file (public/instructlab/simple)",
    group: "builder",
  },
  {
    flags: "--max-gen-requests <n>",
    key: "maxGenRequests",
    description: "upper bound on builder calls per builder",
    integer: { min: 1 },
    group: "builder",
  },
  {
    flags: "--max-stalled-requests <n>",
    key: "maxStalledRequests",
    description:
      "batches in a row without new records before a task counts as stalled (default 100); a task whose builder returns nothing at all stops after 100 inputs",
    integer: { min: 1 },
    group: "builder",
  },
  {
    flags: "--dry-run",
    key: "dryRun",
    description:
      "send nothing, write nothing: print what the run would send and cost (see digit estimate)",
    group: "base",
  },
  {
    flags: "--pilot <k>",
    key: "pilot",
    description:
      "with --dry-run: records per task of the pilot run against the fake LLM server (default 5)",
    integer: { min: 1 },
    group: "base",
  },
  {
    flags: "--max-cost <usd>",
    key: "maxCost",
    description:
      "spending cap of the run in USD: no request is sent that could take the spend past it; the run then stops as budget_exhausted (exit code 4), resumable with a higher cap",
    parse: usdAmount,
    group: "base",
  },
  {
    flags: "--no-cache",
    key: "cache",
    description: "neither read nor store LLM answers in the response cache (see docs/cache.md)",
    group: "base",
  },
  {
    flags: "--cache-dir <dir>",
    key: "cacheDir",
    description: "folder of the response cache database (default $DGT_CACHE_DIR or ./.cache/digit)",
    group: "base",
  },
  {
    flags: "--executor <url>",
    key: "executor",
    description:
      "run builder calls on `digit worker` processes through Redis (redis://host:port); default: in this process",
    group: "base",
  },
  {
    flags: "--redis-timeout <seconds>",
    key: "redisTimeout",
    description:
      "with --executor: stop the run (resumable) when Redis has been unreachable this long (default 60)",
    integer: { min: 1 },
    group: "base",
  },
  {
    flags: "--quiet",
    key: "quiet",
    description: "print only warnings, errors and the summary",
    group: "base",
  },
  { flags: "--debug", key: "debug", description: "print debug messages", group: "base" },
  {
    flags: "--otlp-endpoint <url>",
    key: "otlpEndpoint",
    description:
      "also send spans and metrics over OTLP/HTTP to this OpenTelemetry collector (base URL, e.g. http://127.0.0.1:4318; spans go to /v1/traces, metrics to /v1/metrics); OTEL_EXPORTER_OTLP_ENDPOINT does the same; off by default",
    group: "base",
  },
  {
    flags: "--log-format <format>",
    key: "logFormat",
    description: "text (default) or json lines on stderr",
    choices: ["text", "json"],
    group: "base",
  },
  {
    flags: "--ray-address <address>",
    key: "rayAddress",
    description: "accepted for DiGiT compatibility; ignored",
    group: "base",
    hidden: true,
  },
];

/**
 * Parse `--max-cost`: a non-negative amount in USD.
 *
 * @example
 * usdAmount("2.50") // 2.5
 */
export function usdAmount(value: string): number {
  const n = /^\s*\$?\d*\.?\d+\s*$/.test(value) ? Number(value.trim().replace("$", "")) : NaN;
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("expected an amount in USD, 0 or more, e.g. 2.50");
  return n;
}

/**
 * The options `digit run` and `digit validate` both take from the command line: task paths,
 * namespaces, plugin and builder folders, and the task options that change what is checked.
 * DiGiT's list options may have swallowed task paths written after them; those are moved back.
 *
 * @example
 * const options = { ...taskRunOptions(["tasks/qa/task.yaml"], { includeNamespaces: ["public"] }, process.cwd()), logger };
 */
export function taskRunOptions(
  positional: string[],
  opts: Record<string, unknown>,
  cwd: string,
): RunOptions {
  const taskPaths = [...positional, ...list(opts.taskPaths), ...list(opts.dataPaths)];
  const namespaces: string[] = [];
  for (const n of [...list(opts.includeNamespaces), ...list(opts.includeNs)]) {
    if (/[/\\]|\.ya?ml$/.test(n) || existsSync(n)) taskPaths.push(n);
    else namespaces.push(n);
  }
  return {
    taskPaths,
    configPath: str(opts.configPath),
    namespaces,
    pluginDirs: list(opts.pluginDir),
    builderPaths: list(opts.includeBuilderPaths),
    numOutputsToGenerate: num(opts.numOutputsToGenerate),
    seedBatchSize: num(opts.seedBatchSize),
    machineBatchSize: num(opts.machineBatchSize),
    restart: opts.restart === true || opts.restartGeneration === true ? true : undefined,
    outputDir: str(opts.outputDir),
    saveFormattedOutput: opts.saveFormattedOutput === true ? true : undefined,
    execution:
      opts.execution === "online" || opts.execution === "batch" || opts.execution === "auto"
        ? opts.execution
        : undefined,
    cwd,
  };
}
