import type { RegistryKind } from "../errors.js";
import { register } from "../registry/decorators.js";
import type { Registry } from "../registry/registry.js";
import type { EngineDefinition } from "./engines/engine.js";
import type { EnrichmentDefinition } from "./enrichments/enrichment.js";
import type { LoaderDefinition } from "./loaders/loader.js";
import type { SamplerDefinition } from "./samplers/sampler.js";

// A plugin registers a tool type with a call at the top level of its module, the name a string
// literal: the registry's scan finds the call in the file's text and imports the module only when
// a task's `tools:` section names the type.

/**
 * Make a tool engine type usable as `tools.engines.<name>.type` in task YAML.
 *
 * @example
 * registerToolEngine("my_org/echo", defineEngine({ schema: z.object({}), create: () => engine }));
 */
export function registerToolEngine(name: string, definition: EngineDefinition): EngineDefinition {
  register("tool_engine", [name], definition);
  return definition;
}

/**
 * Make a tool sampler type usable as `sampler_mix[].sampler.type` in task YAML.
 *
 * @example
 * registerToolSampler("my_org/first", defineSampler({ schema, requires: [], create: (c, r) => s }));
 */
export function registerToolSampler(
  name: string,
  definition: SamplerDefinition,
): SamplerDefinition {
  register("tool_sampler", [name], definition);
  return definition;
}

/**
 * Make a tool enrichment type usable in `tools.enrichments[].type` in task YAML.
 *
 * @example
 * registerToolEnrichment("my_org/tags", defineEnrichment({ schema, create: () => enrichment }));
 */
export function registerToolEnrichment(
  name: string,
  definition: EnrichmentDefinition,
): EnrichmentDefinition {
  register("tool_enrichment", [name], definition);
  return definition;
}

/**
 * Make a tool loader type usable as `tools.registry[].type` in task YAML.
 *
 * @example
 * registerToolLoader("my_org/csv", defineLoader({ schema, create: (c) => ({ load: async () => [] }) }));
 */
export function registerToolLoader(name: string, definition: LoaderDefinition): LoaderDefinition {
  register("tool_loader", [name], definition);
  return definition;
}

/** The registry kinds of the four tool types. */
export type ToolKind = Extract<RegistryKind, `tool_${string}`>;

/**
 * Names of a tool type: the built-in ones and those plugins register (when a registry is given).
 *
 * @example
 * toolTypeNames("tool_sampler", SAMPLERS, registry) // ["tc/chain", ..., "my_org/first"]
 */
export function toolTypeNames(
  kind: ToolKind,
  builtins: Record<string, unknown>,
  registry: Registry | undefined,
): string[] {
  return [...new Set([...Object.keys(builtins), ...(registry?.knownNames(kind) ?? [])])];
}

/**
 * A tool type's definition: a built-in one, else a plugin's (imported now), else undefined.
 *
 * @example
 * const def = await toolDefinition("tool_engine", ENGINES, "my_org/echo", registry);
 */
export async function toolDefinition<D>(
  kind: ToolKind,
  builtins: Record<string, () => Promise<D>>,
  type: string,
  registry: Registry | undefined,
): Promise<D | undefined> {
  const builtin = builtins[type];
  if (builtin) return builtin();
  if (!registry?.has(kind, type)) return undefined;
  // The registration of a tool kind holds the definition its register function was given.
  return (await registry.resolve(kind, type)) as D;
}
