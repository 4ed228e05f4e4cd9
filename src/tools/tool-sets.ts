import type { Block } from "../blocks/block.js";
import type { Registry } from "../registry/registry.js";
import type { Logger } from "../telemetry/logger.js";
import type { RunObserver } from "../telemetry/observer.js";
import type { Telemetry } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import { buildTaskTools, type TaskTools } from "./build.js";
import type { ToolsSection } from "./config.js";
import { runEmbeddingsMeter } from "./embeddings/run-meter.js";

/**
 * The tools of the tasks of one builder: built once per task from its `tools:` section, their LM
 * blocks (created by the builder, with the run's block context) and connections released by
 * `close`.
 *
 * @example
 * const toolSets = new TaskToolSets(builder);
 * const tools = await toolSets.build({ name: task.name, file: task.file }, section);
 */
export class TaskToolSets {
  private readonly byTask = new Map<string, TaskTools>();
  private readonly blocks: Block[] = [];

  constructor(
    private readonly owner: {
      logger: Logger;
      telemetry: Telemetry;
      observer: RunObserver | undefined;
      createBlock(config: Row, where: string): Promise<Block>;
      /** Where plugins' tool types resolve; built-in types only without. */
      registry?: Registry | undefined;
    },
  ) {}

  /**
   * Build a task's tools (its loaders, engines and enrichments run now); with `allEngines`, also
   * the engines no registry entry names.
   */
  async build(
    task: { name: string; file?: string | undefined },
    section: ToolsSection,
    allEngines = false,
  ): Promise<TaskTools> {
    const tools = await buildTaskTools(section, {
      lm: async (config: Row, name: string) => {
        // The run's block context: the tool LMs' requests count in metrics, cost and summary.
        const block = await this.owner.createBlock(
          { ...config, name },
          `task '${task.name}' tools`,
        );
        this.blocks.push(block);
        return block;
      },
      logger: this.owner.logger,
      where: task.file ?? task.name,
      taskName: task.name,
      embeddingsMeter: (block) => runEmbeddingsMeter(this.owner, [task.name], block),
      allEngines,
      registry: this.owner.registry,
    });
    this.byTask.set(task.name, tools);
    return tools;
  }

  /** The tools of a task, if it has a `tools:` section. */
  of(taskName: string): TaskTools | undefined {
    return this.byTask.get(taskName);
  }

  /** Forget a conversation's engine sessions. */
  async teardown(taskName: string, conversationId: string): Promise<void> {
    await this.byTask.get(taskName)?.engine.teardown(conversationId);
  }

  async close(): Promise<void> {
    for (const t of this.byTask.values()) await t.close().catch(() => undefined);
    for (const b of this.blocks) await b.close().catch(() => undefined);
  }
}
