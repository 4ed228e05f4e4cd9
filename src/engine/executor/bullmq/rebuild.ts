import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync } from "node:fs";
import type { Block, BlockContext } from "../../../blocks/block.js";
import { runInBatchScope } from "../../../blocks/lm/batch/request-scope.js";
import type {
  DataBuilderClass,
  GenerationDataBuilder,
  TransformationDataBuilder,
} from "../../../builders/databuilder.js";
import { ConfigError } from "../../../errors.js";
import { Registry } from "../../../registry/registry.js";
import type { Logger } from "../../../telemetry/logger.js";
import type { LlmCallReport } from "../../../telemetry/observer.js";
import { NoTelemetry } from "../../../telemetry/telemetry.js";
import type { Row } from "../../../util/mapping.js";
import { Random } from "../../../util/random.js";
import { assembleBuilder, createBlocks } from "../../assemble.js";
import type { UnitContext, UnitData, UnitRejects } from "./protocol.js";

/** What one unit's blocks reported while it ran. */
export interface UnitCollector {
  rejects: UnitRejects[];
  llmCalls: LlmCallReport[];
  rejected: [string, string, number][];
}

/**
 * Blocks are built once per builder context and shared by the units that run at once on a worker;
 * what they report must still reach the unit that caused it. The unit runs inside this store, and
 * the blocks' observer and reject sink write to whatever unit is current.
 */
const current = new AsyncLocalStorage<UnitCollector>();

/** Registry options a worker adds to those the coordinator sent. */
export interface WorkerRegistryOptions {
  namespaces?: string[] | undefined;
  pluginDirs?: string[] | undefined;
  builderPaths?: string[] | undefined;
  cwd?: string | undefined;
}

/**
 * A builder context made runnable on a worker: registry, builder class and the blocks (with their
 * LM clients and credential limiters), built once and reused by every unit of that context.
 */
export class PreparedContext {
  private constructor(
    readonly context: UnitContext,
    readonly registry: Registry,
    readonly cls: DataBuilderClass,
    readonly file: string,
    readonly blocks: Map<string, Block>,
    private readonly logger: Logger,
    private readonly blockContext: BlockContext,
  ) {}

  /**
   * Open the registry the context names (plus the worker's own plugin folders and namespaces),
   * resolve the builder class and construct its blocks.
   *
   * @example
   * const prepared = await PreparedContext.build(context, { pluginDirs: ["plugins"] }, logger);
   */
  static async build(
    context: UnitContext,
    local: WorkerRegistryOptions,
    logger: Logger,
  ): Promise<PreparedContext> {
    const registry = await Registry.open({
      namespaces: [...new Set([...context.namespaces, ...(local.namespaces ?? [])])],
      // The coordinator's folders are paths on its machine: a worker's own flags win when given.
      pluginDirs: local.pluginDirs?.length
        ? local.pluginDirs
        : context.pluginDirs.filter((d) => existsSync(d)),
      builderPaths: local.builderPaths?.length
        ? local.builderPaths
        : context.builderPaths.filter((d) => existsSync(d)),
      cwd: local.cwd ?? process.cwd(),
    });
    const cls = (await registry.resolve("databuilder", context.builderName)) as DataBuilderClass;
    let file = context.file;
    try {
      file = registry.builderYaml(context.builderName).file;
    } catch {
      // Not found by name here: templates are read relative to the coordinator's path.
    }
    const blockLogger = logger.child({ builder: context.builderName });
    const blockCtx: BlockContext = {
      builderName: context.builderName,
      logger: blockLogger,
      telemetry: new NoTelemetry(),
      execution: context.execution,
      observer: {
        llmCall: (r: LlmCallReport) => current.getStore()?.llmCalls.push(r),
        rejected: (task: string, block: string, n: number) =>
          current.getStore()?.rejected.push([task, block, n]),
      },
      rejects: async (block: { name: string; type: string }, rows: Row[]) => {
        // Copies: the builder may keep changing the row objects after the validator is done.
        current.getStore()?.rejects.push({
          block: { name: block.name, type: block.type },
          rows: rows.map((r) => ({ ...r })),
        });
      },
    };
    const blocks = await createBlocks(
      registry,
      context.config.blocks,
      blockCtx,
      context.builderName,
    );
    return new PreparedContext(context, registry, cls, file, blocks, logger, blockCtx);
  }

  /**
   * Run one unit on a fresh builder instance that shares the blocks. The builder's and tasks'
   * PRNGs derive from the run seed and the unit, so a retried unit draws the same numbers wherever
   * it runs.
   */
  async run(unit: UnitData): Promise<{ rows: Row[]; collected: UnitCollector }> {
    const ctx = this.context;
    const unitLabel = `unit:${unit.runKey}:${unit.seq}`;
    const builder = await assembleBuilder({
      registry: this.registry,
      cls: this.cls,
      builderName: ctx.builderName,
      config: ctx.config,
      file: this.file,
      blocks: this.blocks,
      tasks: ctx.tasks,
      root: new Random(ctx.seed),
      derive: (rng) => rng.derive(unitLabel),
      logger: this.logger,
      telemetry: new NoTelemetry(),
      builderOptions: ctx.builderOptions,
      buildId: "worker",
      // Tasks here are never opened: they give builders their spec and settings, not output files.
      writesOutput: false,
      blockContext: this.blockContext,
    });
    if ((builder.kind === "generation") !== (unit.kind === "generation")) {
      throw new ConfigError(
        `builder '${ctx.builderName}' is a ${builder.kind} builder here, but the coordinator sent a ${unit.kind} unit`,
        { hint: "run workers and coordinator on the same version of the builders" },
      );
    }
    const collected: UnitCollector = { rejects: [], llmCalls: [], rejected: [] };
    // Batch requests are scoped to the unit: a retried unit asks for the same custom_ids anywhere.
    const rows = await current.run(collected, () =>
      runInBatchScope(unitLabel, async () => {
        await builder.setup();
        try {
          return unit.kind === "generation"
            ? await (builder as GenerationDataBuilder).call(unit.requestIdx, unit.batch)
            : await (builder as TransformationDataBuilder).call(unit.batch);
        } finally {
          await builder.close().catch(() => undefined);
        }
      }),
    );
    return { rows, collected };
  }

  async close(): Promise<void> {
    for (const b of this.blocks.values()) await b.close().catch(() => undefined);
  }
}
