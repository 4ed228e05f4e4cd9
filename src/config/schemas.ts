import { z } from "zod";

const mapping = z.record(z.string(), z.unknown());
const datastoreConfig = z.looseObject({ type: z.string().default("default") });
const count = (what: string) => z.number().int().min(0, `${what} cannot be negative`);

/** `runner_config` keys both task families accept. */
export const commonRunnerConfig = {
  output_dir: z.string().optional(),
  save_formatted_output: z.boolean().optional(),
  /** Seed for every random choice of the task (ICL sampling, batch mixing). */
  seed: z.number().int().optional(),
};

/** `runner_config` of a generation task (reference §2.3). */
export const generationRunnerConfigSchema = z.strictObject({
  ...commonRunnerConfig,
  restart_generation: z.boolean().optional(),
  num_outputs_to_generate: count("num_outputs_to_generate").optional(),
  // 0 seeds per batch gives empty batches that never make anything: refused, like --seed-batch-size 0.
  seed_batch_size: z.number().int().positive("seed_batch_size must be at least 1").optional(),
  machine_batch_size: count("machine_batch_size").optional(),
});

/** `runner_config` of a transformation task. */
export const transformationRunnerConfigSchema = z.strictObject({
  ...commonRunnerConfig,
  restart_generation: z.boolean().optional(),
  transform_batch_size: z.number().int().positive("transform_batch_size must be at least 1").optional(),
});

/** Keys every task YAML may have, whatever its builder (reference §2.2). */
export const baseTaskShape = {
  task_name: z.string().min(1),
  task_description: z.string().default(""),
  created_by: z.string().default(""),
  data_builder: z.string().min(1),
  runner_config: mapping.optional(),
  seed_examples: z.array(mapping).nullish(),
  seed_datastore: datastoreConfig.nullish(),
  dataloader: z.looseObject({ type: z.string().default("default") }).nullish(),
  data: z.union([z.array(mapping), datastoreConfig]).nullish(),
  datastore: datastoreConfig.nullish(),
  final_datastore: datastoreConfig.nullish(),
  formatted_datastore: datastoreConfig.nullish(),
  store_name: z.string().nullish(),
  formatter: z.looseObject({ type: z.string() }).nullish(),
  tools: z.unknown().optional(),
};

/** A task YAML of a builder that declares no extra task fields. */
export const baseTaskSchema = z.strictObject(baseTaskShape);

/** A postprocessor entry: a block name plus call options. A bare string is accepted too. */
const postprocessor = z.union([z.string().transform((name) => ({ name })), z.looseObject({ name: z.string().min(1) })]);

/** Keys every builder YAML may have (reference §3.1). Builders may add their own. */
export const baseBuilderShape = {
  name: z.string().min(1),
  blocks: z.array(mapping).default([]),
  postprocessors: z.array(postprocessor).default([]),
  metadata: z.unknown().optional(),
  max_workers: z.number().int().positive().optional(),
  max_concurrent_conversations: z.number().int().positive().optional(),
  /** How many builder calls may be in flight at once (keeps LLM credentials busy); `max_workers` is its DiGiT name. */
  max_concurrent_batches: z.number().int().positive().optional(),
  max_stalled_attempts: z.number().int().positive().optional(),
  num_attempts_to_complete: z.number().int().positive().optional(),
  target: z.unknown().optional(),
};

/** A builder YAML, for builders that declare no extra keys. */
export const baseBuilderSchema = z.strictObject(baseBuilderShape);

/** A DiGiT `--config-path` override file (reference §1.6). */
export const overrideFileSchema = z.strictObject({
  task_files: z.array(z.string()).optional().describe("Task files, folders or globs to run besides those on the command line"),
  tasks: z.record(z.string(), mapping.nullable()).optional().describe("Per task name: keys merged into that task (null removes a key); a task no file defines is created"),
  databuilders: z.record(z.string(), mapping.nullable()).optional().describe("Per builder name: keys merged into that builder's YAML (blocks are matched by name)"),
});

export type OverrideFile = z.infer<typeof overrideFileSchema>;
export type BaseTask = z.infer<typeof baseTaskSchema>;
export type BuilderConfig = z.infer<typeof baseBuilderSchema>;
