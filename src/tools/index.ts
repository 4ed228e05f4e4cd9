/**
 * digit's tools toolkit, the package subpath "digit-sdg/tools": what a plugin needs to add tool
 * engines, samplers, enrichments and loaders of its own (registered by name for a task's `tools:`
 * section), and the tool, call and registry types those work with. Blocks, builders and `z` come
 * from "digit-sdg"; this subpath holds only what tool plugins add.
 *
 * @example
 * import { defineEngine, registerToolEngine, type ToolEngine } from "digit-sdg/tools";
 */

export { ToolSamplingError } from "../errors.js";
export {
  type EmbeddingsProvider,
  embeddingsProviderSchema,
  embedTexts,
} from "./embeddings/client.js";
export {
  defineEngine,
  type EngineContext,
  type EngineDefinition,
  type ExecuteOptions,
  failed,
  simulateCalls,
  type ToolEngine,
} from "./engines/engine.js";
export {
  defineEnrichment,
  type EnrichmentContext,
  type EnrichmentDefinition,
  type ToolEnrichment,
} from "./enrichments/enrichment.js";
export {
  defineLoader,
  type LoaderContext,
  type LoaderDefinition,
  type ToolLoader,
} from "./loaders/loader.js";
export {
  registerToolEngine,
  registerToolEnrichment,
  registerToolLoader,
  registerToolSampler,
} from "./register.js";
export { type Artifacts, ToolRegistry } from "./registry.js";
export {
  defineSampler,
  type SamplerDefinition,
  type ToolSampler,
} from "./samplers/sampler.js";
export { qualifiedName, type Tool, type ToolCall, type ToolResult } from "./types.js";
