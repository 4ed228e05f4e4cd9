import type { Block, Logger, Task } from "digit-sdg";
import { createBlock } from "../../../src/blocks/create.js";
import type { Registry } from "../../../src/registry/registry.js";
import type { Telemetry } from "../../../src/telemetry/telemetry.js";
import { buildTaskTools, type TaskTools } from "../../../src/tools/build.js";
import type { ToolsSection } from "../../../src/tools/config.js";
import type { Row } from "../../../src/util/mapping.js";

/**
 * The tools of the tasks of one conversation builder: built once per task from its `tools:`
 * section, their LM blocks and connections released by `close`.
 *
 * @example
 * const tools = await toolSets.build(task, section);
 */
export class ConversationToolSets {
  private readonly byTask = new Map<string, TaskTools>();
  private readonly blocks: Block[] = [];

  constructor(private readonly owner: { name: string; telemetry: Telemetry; logger: Logger }) {}

  /**
   * Build a task's tools (its loaders, engines and enrichments run now); with `allEngines`, also
   * the engines no registry entry names.
   */
  async build(task: Task, section: ToolsSection, allEngines = false): Promise<TaskTools> {
    const registry = (task as unknown as { init: { registry: Registry } }).init.registry;
    const tools = await buildTaskTools(section, {
      lm: async (config: Row, name: string) => {
        const block = await createBlock(
          registry,
          { ...config, name },
          {
            builderName: this.owner.name,
            telemetry: this.owner.telemetry,
            logger: this.owner.logger,
          },
          `task '${task.name}' tools`,
        );
        this.blocks.push(block);
        return block;
      },
      logger: this.owner.logger,
      where: task.file ?? task.name,
      taskName: task.name,
      allEngines,
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
