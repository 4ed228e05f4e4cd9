import { z } from "zod";
import { dot } from "../embeddings/client.js";
import { propsOf } from "../registry.js";
import { qualifiedName, schemaFingerprint, type Tool } from "../types.js";
import { cacheFingerprint, enrichmentCachePath, loadCache, saveCache } from "./cache.js";
import {
  cachedEmbeddings,
  embeddingsKeys,
  requireProvider,
  type ToolEmbeddings,
  toolKey,
  toolText,
} from "./embeddings.js";
import { defineEnrichment } from "./enrichment.js";

/**
 * One neighbor: its unqualified name, parameter fingerprint and edge score.
 *
 * @example
 * const n: Neighbor = ["get_order", "ab12...", 0.83];
 */
export type Neighbor = [name: string, fingerprint: string, score: number];

/**
 * The `neighbors` artifact (DiGiT's layout): qualified name → parameter fingerprint →
 * namespace → [neighbors, near-duplicates].
 *
 * @example
 * const [next, dups] = graph["shop::get_order"][fp]["shop"];
 */
export type NeighborGraph = Record<
  string,
  Record<string, Record<string, [Neighbor[], Neighbor[]]>>
>;

const schema = z.object({
  ...embeddingsKeys,
  max_candidates: z
    .number()
    .int()
    .min(1)
    .default(50)
    .describe("Most similar tools considered per tool"),
  max_neighbors: z.number().int().min(1).default(10).describe("Neighbors kept per tool"),
  duplicate_sim_thresh: z
    .number()
    .min(0)
    .max(1)
    .default(0.9)
    .describe("Tool similarity from which two tools count as near-duplicates"),
});

const paramText = (name: string, info: unknown) =>
  `Name: ${name}\nDescription: ${String((info as { description?: unknown } | null)?.description ?? "")}`;

/**
 * `type: neighbors` (needs `embeddings`): which tools can follow which. A tool's "source" vector
 * (the tool plus its outputs) is compared with every other tool's "target" vector (the tool plus
 * its inputs) in the same namespace; among the `max_candidates` most similar tools the best
 * `max_neighbors` edges are kept, and tools at least `duplicate_sim_thresh` alike are recorded as
 * near-duplicates (the neighbor sampler never picks two of those).
 */
export const neighborsEnrichment = defineEnrichment({
  schema,
  create: async (c, ctx) => {
    const p = requireProvider(c.provider, c.model, ctx.where);
    const model = p.model_id_or_path ?? c.model;
    return {
      artifact: "neighbors",
      dependsOn: ["embeddings"],
      async enrich(registry) {
        const tools = registry.all();
        const fp = cacheFingerprint(
          tools.map((t) => [toolKey(t), toolText(t)]).sort(),
          model,
          c.max_neighbors,
          c.max_candidates,
          c.duplicate_sim_thresh,
        );
        const path = enrichmentCachePath("neighbors", fp);
        const cached = c.force ? {} : loadCache(path);
        if (Object.keys(cached).length) {
          registry.artifacts.neighbors = cached as NeighborGraph;
          return;
        }
        const emb = registry.artifacts.embeddings as ToolEmbeddings | undefined;
        if (!emb)
          throw new Error(
            "neighbors: the embeddings artifact is missing (list the embeddings enrichment before neighbors)",
          );
        const paramKeys: string[] = [];
        const paramTexts: string[] = [];
        for (const t of tools) {
          for (const [n, i] of [
            ...Object.entries(propsOf(t.parameters)),
            ...Object.entries(propsOf(t.output_parameters)),
          ]) {
            const text = paramText(n, i);
            paramKeys.push(text);
            paramTexts.push(text);
          }
        }
        const unique = [...new Set(paramKeys)];
        const pfp = cacheFingerprint(unique.slice().sort(), model);
        const pvec = await cachedEmbeddings(
          "neighbors_params",
          pfp,
          p,
          model,
          unique,
          unique,
          c.force,
          ctx.embeddingsMeter,
        );
        const graph = buildGraph(tools, emb, (n, i) => pvec.get(paramText(n, i))!, c);
        saveCache(path, graph);
        registry.artifacts.neighbors = graph;
      },
    };
  },
});

function buildGraph(
  tools: Tool[],
  emb: ToolEmbeddings,
  param: (n: string, i: unknown) => Float32Array,
  c: { max_candidates: number; max_neighbors: number; duplicate_sim_thresh: number },
): NeighborGraph {
  const vec = (t: Tool) => emb.get(qualifiedName(t))!.get(schemaFingerprint(t.parameters))!;
  const composite = (t: Tool, schema: Record<string, unknown>) => {
    const v = Float32Array.from(vec(t));
    for (const [n, i] of Object.entries(propsOf(schema))) {
      const pv = param(n, i);
      for (let k = 0; k < v.length; k++) v[k]! += pv[k]!;
    }
    let s = 0;
    for (const x of v) s += x * x;
    const norm = Math.sqrt(s) || 1;
    return v.map((x) => x / norm);
  };
  const byNs = new Map<string, Tool[]>();
  for (const t of tools) byNs.set(t.namespace, [...(byNs.get(t.namespace) ?? []), t]);
  const graph: NeighborGraph = {};
  for (const [ns, group] of byNs) {
    const base = group.map(vec);
    const src = group.map((t) => composite(t, t.output_parameters));
    const tgt = group.map((t) => composite(t, t.parameters));
    group.forEach((t, i) => {
      const sims = group.map((_, j) => (j === i ? -Infinity : dot(base[i]!, base[j]!)));
      const order = sims
        .map((s, j) => [s, j] as const)
        .filter(([s]) => s > -Infinity)
        .sort((a, b) => b[0] - a[0]);
      const cands = order.slice(0, c.max_candidates);
      const dups: Neighbor[] = cands
        .filter(([s]) => s >= c.duplicate_sim_thresh)
        .map(([s, j]) => [group[j]!.name, schemaFingerprint(group[j]!.parameters), s]);
      const dupSet = new Set(dups.map((d) => d[0]));
      const edges: Neighbor[] = cands
        .filter(([, j]) => !dupSet.has(group[j]!.name) && group[j]!.name !== t.name)
        .map(
          ([, j]): Neighbor => [
            group[j]!.name,
            schemaFingerprint(group[j]!.parameters),
            dot(src[i]!, tgt[j]!),
          ],
        )
        .sort((a, b) => b[2] - a[2])
        .slice(0, c.max_neighbors);
      const q = qualifiedName(t);
      graph[q] ??= {};
      graph[q][schemaFingerprint(t.parameters)] = { [ns]: [edges, dups] };
    });
  }
  return graph;
}
