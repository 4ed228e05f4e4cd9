import type { Block } from "../blocks/block.js";
import { parseWith } from "../config/zod-errors.js";
import { ConfigError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import type { Logger } from "../telemetry/logger.js";
import type { Row } from "../util/mapping.js";

import { ENGINES, ENRICHMENTS, SAMPLERS } from "./catalog.js";
import type { ToolsSection } from "./config.js";
import type { EmbeddingsMeter } from "./embeddings/client.js";
import { CompositeToolEngine } from "./engines/composite.js";
import type { ToolEngine } from "./engines/engine.js";
import type { ToolEnrichment } from "./enrichments/enrichment.js";
import { checkEngineNames, loadRegistryEntries, mcpServersOf } from "./load-entries.js";
import { lookup } from "./lookup.js";
import { closeMcpConnections } from "./mcp/connection.js";
import { toolTypeNames } from "./register.js";
import { ToolRegistry } from "./registry.js";
import type { SamplerDefinition } from "./samplers/sampler.js";
import { DEFAULT_NAMESPACE } from "./types.js";

/**
 * A task's tools, ready: the registry (enriched), the engine that routes calls by namespace, and
 * the named engines.
 *
 * @example
 * const tools = await buildTaskTools(section, ctx);
 * await tools.engine.execute("conv-1", calls);
 * await tools.close();
 */
export interface TaskTools {
  registry: ToolRegistry;
  engine: CompositeToolEngine;
  engines: ReadonlyMap<string, ToolEngine>;
  /** Tool sampler types this task can use: the built-in ones and its plugins'. */
  samplerTypes(): string[];
  /** A sampler type's definition, or a ConfigError naming the closest type. */
  sampler(type: string, what: string, file: string): Promise<SamplerDefinition>;
  close(): Promise<void>;
}

/**
 * What building needs from the caller.
 *
 * @example
 * const ctx: BuildContext = { lm: (c, n) => createBlock(reg, { ...c, name: n }), logger,
 *   where: "task.yaml", taskName: "t" };
 */
export interface BuildContext {
  lm(config: Row, name: string): Promise<Block>;
  logger: Logger | undefined;
  /** The task file (errors name it). */
  where: string;
  taskName: string;
  /** Where plugins' tool types are found (`registerToolEngine` ...); built-in types only without. */
  registry?: Registry | undefined;
  /**
   * A meter for the embeddings requests of an engine or enrichment, by the name its requests are
   * counted under (the engine's name, the enrichment's type); absent outside a run.
   */
  embeddingsMeter?: ((block: string) => EmbeddingsMeter) | undefined;
  /**
   * Build every engine of `tools.engines`, not only those a registry entry names (builders that
   * drive engines directly, like RAG's document samplers, need them).
   */
  allEngines?: boolean;
}

/**
 * Build a task's tools: load every registry entry, build the engines, route each namespace to
 * its entry's engine, run the enrichments in dependency order. Unknown types and engine names
 * fail with the closest known name before anything runs.
 *
 * @example
 * const tools = await buildTaskTools(toolsSectionSchema.parse(spec.tools), ctx);
 */
export async function buildTaskTools(section: ToolsSection, ctx: BuildContext): Promise<TaskTools> {
  const at = (what: string) => `task '${ctx.taskName}' tools.${what}`;
  checkEngineNames(section, `task '${ctx.taskName}' tools`, ctx.where);
  const registry = new ToolRegistry();
  const opened: ToolEngine[] = [];
  const engines = new Map<string, ToolEngine>();
  // The namespaces each entry's tools landed in (a file may name its own namespace).
  const entryNamespaces: string[][] = [];
  try {
    const perEntry = await loadRegistryEntries(
      section,
      `task '${ctx.taskName}' tools`,
      ctx.where,
      ctx.registry,
    );
    for (const loaded of perEntry) {
      for (const t of loaded) registry.add(t);
      entryNamespaces.push([...new Set(loaded.map((t) => t.namespace))]);
    }
    const used = new Set(section.registry.map((e) => e.engine).filter(Boolean));
    for (const [name, cfg] of Object.entries(section.engines)) {
      if (!used.has(name) && !ctx.allEngines) continue;
      const where = at(`engines.${name}`);
      const def = await lookup(ENGINES, cfg.type, `${where}: tool engine`, ctx.where, {
        kind: "tool_engine",
        registry: ctx.registry,
      });
      const { type: _t, ...keys } = cfg;
      const namespaces = section.registry.flatMap((e, i) =>
        e.engine === name ? entryNamespaces[i]! : [],
      );
      const engine = await def.create(parseWith(def.schema.strict(), keys, where), {
        registry,
        namespaces,
        // The engine's LM is counted under the engine's name (DiGiT's tasks call it lm_simulator).
        lm: (config, fallback) => ctx.lm(config, /^[\w.-]+$/.test(name) ? name : fallback),
        logger: ctx.logger,
        where,
        embeddingsMeter: ctx.embeddingsMeter?.(name),
      });
      opened.push(engine);
      engines.set(name, engine);
    }
    const byNs = new Map<string, ToolEngine>();
    for (const [i, e] of section.registry.entries()) {
      if (!e.engine) continue;
      const engine = engines.get(e.engine)!;
      for (const ns of entryNamespaces[i]!.length
        ? entryNamespaces[i]!
        : [e.namespace ?? DEFAULT_NAMESPACE]) {
        if (byNs.has(ns) && byNs.get(ns) !== engine) {
          throw new ConfigError(
            `${at(`registry[${i}]`)}: namespace '${ns}' is routed to two engines`,
            { file: ctx.where, hint: "give each namespace exactly one engine" },
          );
        }
        byNs.set(ns, engine);
      }
    }
    await runEnrichments(section, registry, ctx);
    const engine = new CompositeToolEngine(byNs);
    const servers = mcpServersOf(registry.all());
    return {
      registry,
      engine,
      engines,
      samplerTypes: () => toolTypeNames("tool_sampler", SAMPLERS, ctx.registry),
      sampler: (type, what, file) =>
        lookup(SAMPLERS, type, what, file, { kind: "tool_sampler", registry: ctx.registry }),
      close: async () => {
        await engine.close();
        await closeMcpConnections(servers);
      },
    };
  } catch (e) {
    for (const o of opened) await o.close?.().catch(() => undefined);
    await closeMcpConnections(mcpServersOf(registry.all()));
    throw e;
  }
}

async function runEnrichments(
  section: ToolsSection,
  registry: ToolRegistry,
  ctx: BuildContext,
): Promise<void> {
  const built: ToolEnrichment[] = [];
  for (const [i, cfg] of section.enrichments.entries()) {
    const where = `task '${ctx.taskName}' tools.enrichments[${i}]`;
    const def = await lookup(ENRICHMENTS, cfg.type, `${where}: tool enrichment`, ctx.where, {
      kind: "tool_enrichment",
      registry: ctx.registry,
    });
    const { type: _t, ...keys } = cfg;
    built.push(
      await def.create(parseWith(def.schema.strict(), keys, where), {
        lm: ctx.lm,
        logger: ctx.logger,
        where,
        taskName: ctx.taskName,
        embeddingsMeter: ctx.embeddingsMeter?.(cfg.type),
      }),
    );
  }
  const done = new Set<string>();
  const pending = [...built];
  while (pending.length) {
    const i = pending.findIndex((e) =>
      [...e.dependsOn, ...(e.after ?? [])].every(
        (d) => done.has(d) || !built.some((b) => b.artifact === d),
      ),
    );
    if (i < 0)
      throw new ConfigError(`task '${ctx.taskName}' tools.enrichments: dependency cycle`, {
        file: ctx.where,
      });
    const [e] = pending.splice(i, 1);
    for (const d of e!.dependsOn) {
      if (!done.has(d))
        throw new ConfigError(
          `task '${ctx.taskName}' tools.enrichments: '${e!.artifact}' needs the '${d}' enrichment`,
          { file: ctx.where, hint: `add { type: ${d} } to tools.enrichments` },
        );
    }
    await e!.enrich(registry);
    if (e!.artifact) done.add(e!.artifact);
  }
}
