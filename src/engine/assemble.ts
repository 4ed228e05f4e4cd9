import type { Block, BlockContext } from "../blocks/block.js";
import { createBlock } from "../blocks/create.js";
import type { DataBuilder, DataBuilderClass } from "../builders/databuilder.js";
import type { BuilderSpec, RunnerConfig, TaskSpec } from "../config/schemas.js";
import type { Formatter, FormatterClass } from "../formatters/formatter.js";
import type { Registry } from "../registry/registry.js";
import type { DataloaderState } from "../stores/dataloader.js";
import { GenerationTask } from "../tasks/generation-task.js";
import type { TaskInit } from "../tasks/task.js";
import { TransformationTask } from "../tasks/transformation-task.js";
import type { Logger } from "../telemetry/logger.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import type { Random } from "../util/random.js";

/**
 * The labels the run's root PRNG derives each builder's and each task's generator from. A `--seed`
 * run is reproducible only while these stay the same, in the local run and on every distributed
 * worker alike, so both build their PRNGs through `assembleBuilder`, which uses these.
 *
 * @example
 * root.derive(seedLabel.task("geography_qa", { seed: 7 })) // label "task:geography_qa:7"
 */
export const seedLabel = {
  builder: (builderName: string): string => `builder:${builderName}`,
  task: (taskName: string, runnerConfig: { seed?: number | undefined }): string =>
    `task:${taskName}:${String(runnerConfig.seed ?? "")}`,
};

/**
 * Construct a builder's blocks from its YAML `blocks:` list, in order (each checks its config and
 * opens, e.g. an LM block its client).
 *
 * @example
 * const blocks = await createBlocks(registry, group.config.blocks, ctx, group.builderName);
 */
export async function createBlocks(
  registry: Registry,
  configs: readonly Row[],
  ctx: BlockContext,
  builderName: string,
): Promise<Map<string, Block>> {
  const blocks = new Map<string, Block>();
  for (const cfg of configs) {
    const block = await createBlock(registry, cfg, ctx, `builder '${builderName}'`);
    blocks.set(block.name, block);
  }
  return blocks;
}

/** One task a builder serves: its validated spec and effective runner config. */
export interface AssembledTask {
  spec: TaskSpec;
  file: string | undefined;
  runnerConfig: RunnerConfig;
}

/** What a builder instance and its tasks are made from. */
export interface BuilderAssembly {
  registry: Registry;
  cls: DataBuilderClass;
  builderName: string;
  /** The builder YAML after `--config-path` overrides, parsed. */
  config: BuilderSpec;
  /** Path of the builder YAML. */
  file: string;
  blocks: Map<string, Block>;
  tasks: readonly AssembledTask[];
  /** The run's root PRNG (from `--seed`). */
  root: Random;
  /**
   * Applied to every PRNG derived from `root` by its seed label: a distributed worker derives
   * once more per unit of work, so a retried unit draws the same numbers wherever it runs.
   */
  derive?: ((rng: Random) => Random) | undefined;
  logger: Logger;
  telemetry: Telemetry;
  /** Builder options from the CLI (e.g. --num-prompt-instructions). */
  builderOptions: Row | undefined;
  /**
   * The context the builder's blocks were created with; blocks the builder creates later
   * (`DataBuilder.createBlock`) get it too. Default: the builder's name, telemetry and logger.
   */
  blockContext?: BlockContext | undefined;
  buildId: string;
  /**
   * Whether the tasks will open their output folders (the local run). A distributed worker's
   * tasks never do: they only give the builder its tasks' specs and settings, so they get no
   * formatter and never restart.
   */
  writesOutput: boolean;
}

/**
 * Build one builder instance with its tasks, the same way for a local run and a distributed
 * worker: the builder and task PRNGs by `seedLabel`, each task bound to the builder's
 * `instantiateInput`, formatters resolved when the tasks write output.
 *
 * @example
 * const builder = await assembleBuilder({ registry, cls, builderName, config, file, blocks, tasks,
 *   root: new Random(seed), logger, telemetry, builderOptions, buildId: "exp", writesOutput: true });
 */
export async function assembleBuilder(a: BuilderAssembly): Promise<DataBuilder> {
  const derive = a.derive ?? ((rng: Random) => rng);
  const builder = new a.cls({
    name: a.builderName,
    config: a.config,
    file: a.file,
    blocks: a.blocks,
    rng: derive(a.root.derive(seedLabel.builder(a.builderName))),
    logger: a.logger.child({ builder: a.builderName }),
    telemetry: a.telemetry,
    options: a.builderOptions,
    observer: a.blockContext?.observer,
    rejects: a.blockContext?.rejects,
    createBlock: (config, where) =>
      createBlock(
        a.registry,
        config,
        a.blockContext ?? {
          builderName: a.builderName,
          telemetry: a.telemetry,
          logger: a.logger.child({ builder: a.builderName }),
        },
        where,
      ),
  });
  for (const t of a.tasks) {
    const name = t.spec.task_name;
    const init: TaskInit = {
      spec: t.spec,
      file: t.file,
      builderName: a.builderName,
      runnerConfig: t.runnerConfig,
      restart: a.writesOutput && t.runnerConfig.restart_generation,
      registry: a.registry,
      rng: derive(a.root.derive(seedLabel.task(name, t.runnerConfig))),
      logger: a.logger.child({ task_name: name }),
      buildId: a.buildId,
      outputFields: a.cls.outputFields,
      formatter: a.writesOutput ? await createFormatter(a.registry, t) : undefined,
    };
    const task =
      a.cls.family === "generation" ? new GenerationTask(init) : new TransformationTask(init);
    task.instantiateInput = (row: Row, position?: DataloaderState) =>
      builder.instantiateInput(task, row, position);
    builder.tasks.push(task);
  }
  return builder;
}

/** The task's `formatter:`, constructed, or undefined when the task has none. */
async function createFormatter(
  registry: Registry,
  t: AssembledTask,
): Promise<Formatter | undefined> {
  const cfg = t.spec.formatter;
  if (!cfg) return undefined;
  const F = (await registry.resolve("formatter", cfg.type)) as unknown as FormatterClass;
  return new F(cfg, { file: t.file });
}
