import { z } from "zod";
import { ToolDefinitionError, ToolSamplingError } from "../../errors.js";
import { suggestion } from "../../util/did-you-mean.js";
import { Random } from "../../util/random.js";
import type { ToolRegistry } from "../registry.js";
import type { Tool } from "../types.js";

/**
 * Picks the tools a scenario gets. Draws come from the caller's generator, so a seeded run
 * picks the same tools.
 *
 * @example
 * const tools = sampler.sample(rng);
 */
export interface ToolSampler {
  sample(rng: Random, k?: number): Tool[];
}

/**
 * How a sampler type is declared (`sampler_mix[].sampler.type`).
 *
 * @example
 * defineSampler({ schema, requires: [], create: (c, registry) => new RandomSampler(c, registry) })
 */
export interface SamplerDefinition<S extends z.ZodObject = z.ZodObject> {
  schema: S;
  /** Artifacts (enrichments) the sampler reads. */
  requires: readonly string[];
  create(config: z.infer<S>, registry: ToolRegistry): ToolSampler;
}

/**
 * Type a sampler definition.
 *
 * @example
 * export const randomSampler = defineSampler({ schema, requires: [], create });
 */
export function defineSampler<S extends z.ZodObject>(d: SamplerDefinition<S>): SamplerDefinition {
  return d as unknown as SamplerDefinition;
}

/**
 * Keys every namespace-aware sampler takes (DiGiT's).
 *
 * @example
 * z.object({ ...samplerKeys, temperature: z.number() })
 */
export const samplerKeys = {
  k: z.number().int().min(1).describe("How many tools a scenario gets"),
  namespace: z.string().min(1).optional().describe("Draw only from this namespace"),
  namespace_weights: z
    .record(z.string(), z.number().min(0))
    .optional()
    .describe("Relative weight per namespace"),
  strategy: z
    .enum(["uniform", "proportional"])
    .default("proportional")
    .describe("Namespace weights when none are given: equal, or by tool count"),
  min_score: z
    .number()
    .optional()
    .describe("Accepted for DiGiT task files; not used (DiGiT ignores it too)"),
};

/**
 * The tools of a registry by namespace.
 *
 * @example
 * poolsByNamespace(registry.all()).get("math")
 */
export function poolsByNamespace(tools: readonly Tool[]): Map<string, Tool[]> {
  const m = new Map<string, Tool[]>();
  for (const t of tools) m.set(t.namespace, [...(m.get(t.namespace) ?? []), t]);
  return m;
}

/**
 * Probability of each namespace: the given weights, else equal or by size.
 *
 * @example
 * namespaceDistribution(pools, undefined, "uniform") // Map { math => 0.5, web => 0.5 }
 */
export function namespaceDistribution(
  pools: Map<string, Tool[]>,
  weights: Record<string, number> | undefined,
  strategy: "uniform" | "proportional",
  who: string,
): Map<string, number> {
  const raw = new Map<string, number>();
  if (weights) {
    for (const ns of Object.keys(weights)) {
      if (!pools.has(ns))
        throw new ToolDefinitionError(
          `${who}: namespace_weights names '${ns}', which has no tools (namespaces: ${[...pools.keys()].join(", ")})`,
        );
    }
    for (const ns of pools.keys()) raw.set(ns, weights[ns] ?? 0);
  } else for (const [ns, pool] of pools) raw.set(ns, strategy === "uniform" ? 1 : pool.length);
  const total = [...raw.values()].reduce((a, b) => a + b, 0);
  if (total <= 0) throw new ToolDefinitionError(`${who}: every namespace weight is 0`);
  return new Map([...raw].filter(([, w]) => w > 0).map(([ns, w]) => [ns, w / total]));
}

/**
 * The sampler, after one draw proved it can give a scenario its tools: a selection the tools
 * cannot form fails when the sampler is built, before any conversation is generated.
 *
 * @example
 * create: (c, registry) => checked(new ChainToolSampler(c, registry), "tc/chain")
 */
export function checked<S extends ToolSampler>(sampler: S, type: string): S {
  sampler.sample(new Random(`${type}: check`));
  return sampler;
}

/**
 * The error of a sampler drawing from a registry without tools.
 *
 * @example
 * if (!tools.length) throw emptyRegistry("tc/random", k);
 */
export function emptyRegistry(type: string, k: number): ToolSamplingError {
  return new ToolSamplingError(`${type}: the tool registry is empty`, k, [], {
    hint: "give the task tools in tools.registry",
  });
}

/**
 * The error of a sampler restricted to a namespace without tools, with the closest namespace.
 *
 * @example
 * throw unknownNamespace("tc/random", "shpo", ["shop", "weather"], 3);
 */
export function unknownNamespace(
  type: string,
  namespace: string,
  known: readonly string[],
  k: number,
): ToolSamplingError {
  return new ToolSamplingError(`${type}: namespace '${namespace}' has no tools`, k, [], {
    hint: suggestion(namespace, [...known].sort()),
  });
}
