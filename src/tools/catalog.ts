import type { EngineDefinition } from "./engines/engine.js";
import type { EnrichmentDefinition } from "./enrichments/enrichment.js";
import type { LoaderDefinition } from "./loaders/loader.js";
import type { SamplerDefinition } from "./samplers/sampler.js";

/**
 * Built-in loader types (`tools.registry[].type`), each loaded when first used.
 *
 * @example
 * const def = await LOADERS.file!();
 */
export const LOADERS: Record<string, () => Promise<LoaderDefinition>> = {
  file: async () => (await import("./loaders/file.js")).fileLoader,
  inline: async () => (await import("./loaders/inline.js")).inlineLoader,
  mcp: async () => (await import("./loaders/mcp.js")).mcpLoader,
  rest: async () => (await import("./loaders/rest.js")).restLoader,
};

/**
 * Built-in engine types (`tools.engines.<name>.type`).
 *
 * @example
 * const def = await ENGINES.lm!();
 */
export const ENGINES: Record<string, () => Promise<EngineDefinition>> = {
  lm: async () => (await import("./engines/lm.js")).lmEngine,
  mcp: async () => (await import("./engines/mcp.js")).mcpEngine,
  rest: async () => (await import("./engines/rest.js")).restEngine,
  "search/in_memory": async () => (await import("./search/in-memory.js")).inMemorySearchEngine,
  "search/file": async () => (await import("./search/file.js")).fileSearchEngine,
  "search/web/duckduckgo": async () =>
    (await import("./search/web.js")).webSearchEngine("search/web/duckduckgo"),
  "search/web/google_serper": async () =>
    (await import("./search/web.js")).webSearchEngine("search/web/google_serper"),
};

/**
 * Built-in enrichment types (`tools.enrichments[].type`).
 *
 * @example
 * const def = await ENRICHMENTS.embeddings!();
 */
export const ENRICHMENTS: Record<string, () => Promise<EnrichmentDefinition>> = {
  output_parameters: async () =>
    (await import("./enrichments/output-parameters.js")).outputParametersEnrichment,
  embeddings: async () => (await import("./enrichments/embeddings.js")).embeddingsEnrichment,
  neighbors: async () => (await import("./enrichments/neighbors.js")).neighborsEnrichment,
  dataflow: async () => (await import("./enrichments/dataflow.js")).dataflowEnrichment,
};

/**
 * Built-in tool samplers (`sampler_mix[].sampler.type`).
 *
 * @example
 * const def = await SAMPLERS["tc/random"]!();
 */
export const SAMPLERS: Record<string, () => Promise<SamplerDefinition>> = {
  "tc/random": async () => (await import("./samplers/random.js")).randomSampler,
  "tc/neighbor": async () => (await import("./samplers/neighbor.js")).neighborSampler,
  "tc/chain": async () => (await import("./samplers/chain.js")).chainSampler,
  "tc/fan_out": async () => (await import("./samplers/fan.js")).fanOutSampler,
  "tc/fan_in": async () => (await import("./samplers/fan.js")).fanInSampler,
};
