import type { z } from "zod";
import type { Block } from "../../blocks/block.js";
import type { Logger } from "../../telemetry/logger.js";
import type { Row } from "../../util/mapping.js";
import type { EmbeddingsMeter } from "../embeddings/client.js";
import type { ToolRegistry } from "../registry.js";

/**
 * What an enrichment is built with besides its config.
 *
 * @example
 * const ctx: EnrichmentContext = { lm: (c, n) => createBlock(registry, { ...c, name: n }),
 *   logger, where: "task.yaml tools.enrichments[0]", taskName: "t" };
 */
export interface EnrichmentContext {
  lm(config: Row, name: string): Promise<Block>;
  logger: Logger | undefined;
  where: string;
  taskName: string;
  /** Told of every embeddings request (the run counts them); absent outside a run. */
  embeddingsMeter?: EmbeddingsMeter | undefined;
}

/**
 * Adds to the tools of a registry (e.g. `output_parameters`) or leaves an artifact on it for
 * samplers (`registry.artifacts[artifact]`). Runs once before generation, after the enrichments
 * it depends on; results are cached by fingerprint.
 *
 * @example
 * const e: ToolEnrichment = { artifact: "x", dependsOn: [], enrich: async (r) => {} };
 */
export interface ToolEnrichment {
  readonly artifact: string | undefined;
  readonly dependsOn: readonly string[];
  /**
   * Artifacts to wait for when the task has the enrichments that make them; unlike `dependsOn`
   * they are not required (dataflow reads output schemas that output_parameters may fill).
   */
  readonly after?: readonly string[];
  enrich(registry: ToolRegistry): Promise<void>;
}

/**
 * How an enrichment type is declared (`tools.enrichments[].type`).
 *
 * @example
 * defineEnrichment({ schema: z.object({}), create: async () => ({ artifact: undefined,
 *   dependsOn: [], enrich: async () => {} }) })
 */
export interface EnrichmentDefinition<S extends z.ZodObject = z.ZodObject> {
  schema: S;
  create(config: z.infer<S>, ctx: EnrichmentContext): Promise<ToolEnrichment>;
}

/**
 * Type an enrichment definition.
 *
 * @example
 * export const embeddings = defineEnrichment({ schema, create: async (c) => new Embeddings(c) });
 */
export function defineEnrichment<S extends z.ZodObject>(
  d: EnrichmentDefinition<S>,
): EnrichmentDefinition {
  return d as unknown as EnrichmentDefinition;
}
