import { z } from "zod";

const mapping = z.record(z.string(), z.unknown());
const datastoreConfig = z.looseObject({ type: z.string().default("default") });
const UNUSED = "accepted for DiGiT compatibility; digit does not use it";
const count = (what: string) => z.number().int().min(0, `${what} cannot be negative`);

/** `runner_config` keys both task families accept. */
export const commonRunnerConfig = {
  output_dir: z
    .string()
    .optional()
    .describe("Output root of the task (default --output-dir, $DGT_OUTPUT_DIR or ./output)"),
  save_formatted_output: z
    .boolean()
    .default(false)
    .describe("Also write formatted_data through the task's formatter"),
  restart_generation: z
    .boolean()
    .default(false)
    .describe("Discard the task's earlier output and start fresh"),
  /** Seed for every random choice of the task (ICL sampling, batch mixing). */
  seed: z
    .number()
    .int()
    .optional()
    .describe("Seed for every random choice of the task (ICL sampling, batch mixing)"),
};

/** `runner_config` of a generation task. */
export const generationRunnerConfigSchema = z.strictObject({
  ...commonRunnerConfig,
  num_outputs_to_generate: count("num_outputs_to_generate")
    .default(2)
    .describe("Records to generate"),
  // 0 seeds per batch gives empty batches that never make anything: refused, like --seed-batch-size 0.
  // Its default depends on num_outputs_to_generate: see seedBatchSizeOf.
  seed_batch_size: z
    .number()
    .int()
    .positive("seed_batch_size must be at least 1")
    .optional()
    .describe(
      "Seed examples per builder call (default the smaller of 100 and num_outputs_to_generate)",
    ),
  machine_batch_size: count("machine_batch_size")
    .default(10)
    .describe("Earlier generated records mixed into each builder call"),
});

/**
 * A generation task's parsed `runner_config`.
 *
 * @example
 * generationRunnerConfigSchema.parse({}).num_outputs_to_generate // 2
 */
export type GenerationRunnerConfig = z.output<typeof generationRunnerConfigSchema>;

/**
 * Seed examples per builder call: `seed_batch_size`, else the smaller of 100 and
 * `num_outputs_to_generate` (the one default that depends on another key).
 *
 * @example
 * seedBatchSizeOf(generationRunnerConfigSchema.parse({ num_outputs_to_generate: 5 })) // 5
 */
export function seedBatchSizeOf(config: GenerationRunnerConfig): number {
  return config.seed_batch_size ?? Math.min(100, config.num_outputs_to_generate);
}

/** `runner_config` of a transformation task. */
export const transformationRunnerConfigSchema = z.strictObject({
  ...commonRunnerConfig,
  transform_batch_size: z
    .number()
    .int()
    .positive("transform_batch_size must be at least 1")
    .default(100)
    .describe("Input rows per builder call"),
});

/**
 * A transformation task's parsed `runner_config`.
 *
 * @example
 * transformationRunnerConfigSchema.parse({}).transform_batch_size // 100
 */
export type TransformationRunnerConfig = z.output<typeof transformationRunnerConfigSchema>;

/**
 * A task's parsed `runner_config`, of either family (`"num_outputs_to_generate" in config` tells
 * them apart).
 *
 * @example
 * const batch = "transform_batch_size" in config ? config.transform_batch_size : seedBatchSizeOf(config);
 */
export type RunnerConfig = GenerationRunnerConfig | TransformationRunnerConfig;

/**
 * `runner_config` keys given on the command line (DiGiT's task options); they replace the task's
 * own. Generation-only keys are not applied to transformation tasks.
 *
 * @example
 * const overrides: RunnerOverrides = { num_outputs_to_generate: 50, restart_generation: true };
 */
export type RunnerOverrides = Partial<
  Pick<
    GenerationRunnerConfig,
    | "output_dir"
    | "save_formatted_output"
    | "restart_generation"
    | "num_outputs_to_generate"
    | "seed_batch_size"
    | "machine_batch_size"
  >
>;

/** Keys every task YAML may have, whatever its builder. */
export const baseTaskShape = {
  task_name: z.string().min(1).describe("Unique name of the task; also names its output folder"),
  task_description: z.string().default("").describe("What the task is for"),
  created_by: z.string().default("").describe("Author of the task"),
  data_builder: z
    .string()
    .min(1)
    .describe("Name of the builder that makes the data (see `digit list builders`)"),
  runner_config: mapping
    .optional()
    .describe("Run settings of the task (see the runner_config keys)"),
  seed_examples: z.array(mapping).nullish().describe("Seed records written inline"),
  seed_datastore: datastoreConfig
    .nullish()
    .describe("Datastore the seed records are read from (e.g. data_path)"),
  dataloader: z
    .looseObject({ type: z.string().default("default"), loop_over: z.boolean().optional() })
    .nullish()
    .describe("How seed or input rows are read (see `digit describe default --kind dataloader`)"),
  data: z
    .union([z.array(mapping), datastoreConfig])
    .nullish()
    .describe("Input rows of a transformation task: a list, or a datastore"),
  datastore: datastoreConfig
    .nullish()
    .describe("Where the task writes its generated records (type default: local files)"),
  final_datastore: datastoreConfig
    .nullish()
    .describe("Where the final (postprocessed) records are written"),
  formatted_datastore: datastoreConfig
    .nullish()
    .describe("Where formatted records are written (save_formatted_output)"),
  store_name: z
    .string()
    .nullish()
    .describe("Output folder of the task below the output root (default task_name)"),
  formatter: z
    .looseObject({ type: z.string() })
    .nullish()
    .describe("Turns final records into training records (see `digit list formatters`)"),
  tools: z.unknown().optional().describe(UNUSED),
  budget: z
    .number()
    .min(0, "budget cannot be negative")
    .optional()
    .describe(
      "Spending cap of the task in USD: no request is sent that could take its spend past it (see docs/cache.md)",
    ),
};

/** A task YAML of a builder that declares no extra task fields. */
export const baseTaskSchema = z.strictObject(baseTaskShape);

/** A postprocessor entry: a block name plus call options. A bare string is accepted too. */
const postprocessor = z.union([
  z.string().transform((name) => ({ name })),
  z.looseObject({ name: z.string().min(1) }),
]);

/** Keys every builder YAML may have. Builders may add their own. */
export const baseBuilderShape = {
  name: z.string().min(1).describe("The builder's name: tasks give it as data_builder"),
  blocks: z
    .array(mapping)
    .default([])
    .describe("The blocks the builder uses, each with name and type (see `digit describe <type>`)"),
  postprocessors: z
    .array(postprocessor)
    .default([])
    .describe("Blocks run over all records after generation (e.g. a ROUGE-L dedup)"),
  metadata: z.unknown().optional().describe("Free-form information about the builder"),
  max_workers: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("DiGiT's name of max_concurrent_batches"),
  max_concurrent_conversations: z.number().int().positive().optional().describe(UNUSED),
  /** How many builder calls may be in flight at once (keeps LLM credentials busy); `max_workers` is its DiGiT name. */
  max_concurrent_batches: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Builder calls in flight at once (default: enough to keep the LLM credentials busy)"),
  max_stalled_attempts: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Batches in a row that make nothing new before a task stalls (default 100)"),
  num_attempts_to_complete: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Builder calls the builder may make for its tasks in all (default 1000000)"),
  target: z.unknown().optional().describe(UNUSED),
};

/** A builder YAML, for builders that declare no extra keys. */
export const baseBuilderSchema = z.strictObject(baseBuilderShape);

/** A DiGiT `--config-path` override file. */
export const overrideFileSchema = z.strictObject({
  budget: z
    .number()
    .min(0, "budget cannot be negative")
    .optional()
    .describe(
      "Spending cap of the whole run in USD, besides --max-cost and each task's budget (see docs/cache.md)",
    ),
  task_files: z
    .array(z.string())
    .optional()
    .describe("Task files, folders or globs to run besides those on the command line"),
  tasks: z
    .record(z.string(), mapping.nullable())
    .optional()
    .describe(
      "Per task name: keys merged into that task (null removes a key); a task no file defines is created",
    ),
  databuilders: z
    .record(z.string(), mapping.nullable())
    .optional()
    .describe(
      "Per builder name: keys merged into that builder's YAML (blocks are matched by name)",
    ),
});

export type OverrideFile = z.infer<typeof overrideFileSchema>;
export type BaseTask = z.infer<typeof baseTaskSchema>;

/**
 * A parsed task: the keys every task has (typed, defaults applied) plus the builder's own task
 * keys (its `taskSchema`, read by the builder).
 *
 * @example
 * const spec: TaskSpec = baseTaskSchema.parse({ task_name: "qa", data_builder: "b" });
 * spec.task_description // "" (the default)
 */
export type TaskSpec = z.output<typeof baseTaskSchema> & Record<string, unknown>;

export type BuilderConfig = z.infer<typeof baseBuilderSchema>;

/**
 * A parsed builder YAML: the keys every builder has (typed, defaults applied) plus the builder's
 * own keys (its `configSchema`, read by the builder).
 *
 * @example
 * const config: BuilderSpec = baseBuilderSchema.parse({ name: "my/builder" });
 * config.blocks // [] (the default)
 */
export type BuilderSpec = z.output<typeof baseBuilderSchema> & Record<string, unknown>;
