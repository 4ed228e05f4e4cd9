import { z } from "zod";
import { ConfigError, type ToolSamplingError } from "../../errors.js";
import type { Random } from "../../util/random.js";
import type { DataflowGraph, DataflowIndex } from "../enrichments/dataflow.js";
import type { ToolRegistry } from "../registry.js";
import { qualifiedName, schemaFingerprint, type Tool } from "../types.js";
import { emptyRegistry, unknownNamespace } from "./sampler.js";

/**
 * Keys of the samplers that follow the dataflow graph (`tc/chain`, `tc/fan_in`, `tc/fan_out`),
 * DiGiT's: `k` tools, edges scoring at least `min_score`, optionally one namespace only.
 *
 * @example
 * z.object(graphSamplerKeys(2))
 */
export const graphSamplerKeys = (minK: number) => ({
  k: z.number().int().min(minK).describe("How many tools a scenario gets"),
  min_score: z.number().default(0).describe("Lowest edge score an edge may have to be followed"),
  namespace: z
    .string()
    .min(1)
    .optional()
    .describe("Draw only from this namespace (every tool, every edge)"),
});

/**
 * A neighbor of a tool in the dataflow graph and the score of the edge between them.
 *
 * @example
 * const [tool, score] = successors(graph, registry, t, undefined, 0)[0];
 */
export type Scored = [tool: Tool, score: number];

/**
 * The `dataflow` artifact of a registry, or a ConfigError naming the enrichment to add.
 *
 * @example
 * const graph = dataflowOf(registry, "tc/chain");
 */
export function dataflowOf(registry: ToolRegistry, who: string): DataflowGraph {
  const g = registry.artifacts.dataflow as DataflowGraph | undefined;
  if (!g)
    throw new ConfigError(`${who}: the tool registry has no dataflow graph`, {
      hint: "add { type: dataflow, provider: {...} } to tools.enrichments",
    });
  return g;
}

/**
 * The tools an index links `tool` to (its successors in `out`, its predecessors in `in`),
 * scoring at least `minScore`, limited to `namespace` if given, one per qualified name (the best
 * edge), never `tool` itself.
 *
 * @example
 * linked(graph.out, registry, tool, "shop", 0.5)
 */
export function linked(
  index: DataflowIndex,
  registry: ToolRegistry,
  tool: Tool,
  namespace: string | undefined,
  minScore: number,
): Scored[] {
  const buckets = index[qualifiedName(tool)]?.[schemaFingerprint(tool.parameters)] ?? {};
  const best = new Map<string, Scored>();
  for (const [ns, edges] of Object.entries(buckets)) {
    if (namespace !== undefined && ns !== namespace) continue;
    for (const [name, fp, score] of edges) {
      if (score < minScore) continue;
      const q = `${ns}::${name}`;
      if (q === qualifiedName(tool)) continue;
      const other = registry.byFingerprint(q, fp);
      if (other && score > (best.get(q)?.[1] ?? -Infinity)) best.set(q, [other, score]);
    }
  }
  return [...best.values()];
}

/**
 * The candidates in the order a weighted draw without replacement gives (higher scores tend to
 * come first); a score of 0 or less still gets a small chance.
 *
 * @example
 * weightedOrder(rng, [[a, 0.9], [b, 0.2]]) // [a, b] most of the time
 */
export function weightedOrder(rng: Random, cands: readonly Scored[]): Tool[] {
  const left = [...cands];
  const out: Tool[] = [];
  while (left.length) {
    const weights = left.map(([, s]) => Math.max(s, 1e-6));
    const pick = rng.weighted(
      left.map((_, i) => i),
      weights,
    );
    out.push(left[pick]![0]);
    left.splice(pick, 1);
  }
  return out;
}

/**
 * The tools a sampler may start from: every tool, or those of `namespace`.
 *
 * @example
 * seedPool(registry, "tc/chain", undefined)
 */
export function seedPool(registry: ToolRegistry, namespace: string | undefined): Tool[] {
  const all = registry.all();
  return namespace === undefined ? all : all.filter((t) => t.namespace === namespace);
}

/**
 * The error when {@link seedPool} is empty: no tools at all, or none in the namespace.
 *
 * @example
 * if (!pool.length) throw noPool(registry, "tc/chain", namespace, k);
 */
export function noPool(
  registry: ToolRegistry,
  type: string,
  namespace: string | undefined,
  k: number,
): ToolSamplingError {
  return namespace === undefined
    ? emptyRegistry(type, k)
    : unknownNamespace(type, namespace, registry.namespaces(), k);
}

/**
 * How a selection is described in errors: qualified names joined by `sep`.
 *
 * @example
 * describeTools([a, b], " → ") // "shop::find_order → shop::refund_customer"
 */
export function describeTools(tools: readonly Tool[], sep: string): string {
  return tools.map(qualifiedName).join(sep);
}

/**
 * What to try when a graph sampler finds no selection.
 *
 * @example
 * throw new ToolSamplingError(msg, k, [], { hint: GRAPH_HINT });
 */
export const GRAPH_HINT =
  "lower k or min_score, or add tools whose outputs can feed other tools' inputs " +
  "(tools without output_parameters have no outgoing edges: add the output_parameters enrichment)";
