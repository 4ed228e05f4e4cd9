import { z } from "zod";
import { dot, type EmbeddingsProvider } from "../embeddings/client.js";
import { propsOf } from "../registry.js";
import { qualifiedName, schemaFingerprint, type Tool } from "../types.js";
import { cacheFingerprint, enrichmentCachePath, loadCache, saveCache } from "./cache.js";
import { cachedEmbeddings, embeddingsKeys, requireProvider } from "./embeddings.js";
import { defineEnrichment } from "./enrichment.js";
import { paramText, typeMultiplier } from "./param-compat.js";

/**
 * One matched parameter pair of an edge: the source's output parameter, the target's input
 * parameter, and their score (in the reverse index the two names are swapped: input first).
 *
 * @example
 * const p: DataflowPair = ["customer_id", "customer_id", 0.97];
 */
export type DataflowPair = [from: string, to: string, score: number];

/**
 * One edge: the other tool's unqualified name and parameter fingerprint, the edge score (its
 * best pair) and every matched pair, best first.
 *
 * @example
 * const e: DataflowEdge =
 *   ["refund_customer", "ab12...", 0.97, [["customer_id", "customer_id", 0.97]]];
 */
export type DataflowEdge = [
  name: string,
  fingerprint: string,
  score: number,
  pairs: DataflowPair[],
];

/**
 * Qualified name → parameter fingerprint → namespace of the other tool → edges, best first.
 *
 * @example
 * const edges = index["shop::find_order"]?.[fp]?.shop ?? [];
 */
export type DataflowIndex = Record<string, Record<string, Record<string, DataflowEdge[]>>>;

/**
 * The `dataflow` artifact (DiGiT's layout): `out` lists each tool's successors (tools that can
 * take its output), `in` each tool's predecessors (tools whose output it can take).
 *
 * @example
 * const { out } = registry.artifacts.dataflow as DataflowGraph;
 */
export interface DataflowGraph {
  out: DataflowIndex;
  in: DataflowIndex;
}

const schema = z.object({
  ...embeddingsKeys,
  max_neighbors: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe("Edges kept per tool and namespace of the other tool"),
});

interface Param {
  name: string;
  info: unknown;
  text: string;
}

interface Node {
  tool: Tool;
  key: string;
  fp: string;
  outs: Param[];
  ins: Param[];
}

const params = (schema: Record<string, unknown>): Param[] =>
  Object.entries(propsOf(schema)).map(([name, info]) => ({
    name,
    info,
    text: paramText(name, info),
  }));

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** The endpoint identity of vectors: the same text embedded elsewhere is another vector. */
const providerIdentity = (p: EmbeddingsProvider, model: string) => [
  p.type,
  p.base_url ?? null,
  model,
  p.type === "mock" ? p.dimensions : null,
];

/**
 * `type: dataflow`: which tool's output can feed which tool's input (DiGiT's
 * DataflowEnrichment). Every input and output parameter is embedded as its name, type and
 * description; an output parameter of A and an input parameter of B score their cosine
 * similarity times their type compatibility ({@link typeMultiplier}); an edge A→B exists when
 * some pair scores above 0, its score is the best pair's. Each tool keeps its best
 * `max_neighbors` edges per namespace of the other tool, forwards (`out`) and backwards (`in`).
 * The graph is cached under `enrichments/dataflow/<fingerprint>.json`, the parameter vectors
 * under `enrichments/dataflow_params/` (so adding tools embeds only their new parameters).
 */
export const dataflowEnrichment = defineEnrichment({
  schema,
  create: async (c, ctx) => {
    const p = requireProvider(c.provider, c.model, ctx.where);
    const model = p.model_id_or_path ?? c.model;
    return {
      artifact: "dataflow",
      dependsOn: [],
      after: ["output_parameters"],
      async enrich(registry) {
        const nodes: Node[] = registry.all().map((tool) => ({
          tool,
          key: `${qualifiedName(tool)}(${schemaFingerprint(tool.parameters)})`,
          fp: schemaFingerprint(tool.parameters),
          outs: params(tool.output_parameters),
          ins: params(tool.parameters),
        }));
        const fp = cacheFingerprint(
          nodes
            .map((n) => [
              qualifiedName(n.tool),
              n.fp,
              [...n.outs, ...n.ins].map((x) => x.text).sort(),
            ])
            .sort(),
          providerIdentity(p, model),
          c.max_neighbors,
        );
        const path = enrichmentCachePath("dataflow", fp);
        const cached = c.force ? {} : loadCache(path);
        if ("out" in cached && "in" in cached) {
          registry.artifacts.dataflow = cached as unknown as DataflowGraph;
          return;
        }
        const texts = [...new Set(nodes.flatMap((n) => [...n.outs, ...n.ins].map((x) => x.text)))];
        const vectors = texts.length
          ? await cachedEmbeddings(
              "dataflow_params",
              cacheFingerprint(providerIdentity(p, model)),
              p,
              model,
              texts,
              texts,
              c.force,
              ctx.embeddingsMeter,
            )
          : new Map<string, Float32Array>();
        const graph = buildDataflow(nodes, vectors, c.max_neighbors);
        saveCache(path, graph as unknown as Record<string, unknown>);
        registry.artifacts.dataflow = graph;
      },
    };
  },
});

function buildDataflow(
  nodes: Node[],
  vectors: Map<string, Float32Array>,
  maxNeighbors: number,
): DataflowGraph {
  const sims = new Map<string, number>();
  const sim = (a: string, b: string) => {
    const k = `${a}\u0000${b}`;
    let s = sims.get(k);
    if (s === undefined) {
      s = dot(vectors.get(a)!, vectors.get(b)!);
      sims.set(k, s);
    }
    return s;
  };
  const out: DataflowIndex = {};
  const kept = new Map<Node, Map<string, DataflowEdge[]>>();
  for (const src of nodes) {
    const buckets = new Map<string, DataflowEdge[]>();
    for (const tgt of src.outs.length ? nodes : []) {
      if (tgt.key === src.key || !tgt.ins.length) continue;
      const pairs: DataflowPair[] = [];
      for (const o of src.outs) {
        for (const i of tgt.ins) {
          const m = typeMultiplier(o.info, i.info);
          const s = m > 0 ? sim(o.text, i.text) * m : 0;
          if (s > 0) pairs.push([o.name, i.name, round4(s)]);
        }
      }
      if (!pairs.length) continue;
      pairs.sort(byScoreThenNames);
      const ns = tgt.tool.namespace;
      buckets.set(ns, [...(buckets.get(ns) ?? []), [tgt.tool.name, tgt.fp, pairs[0]![2], pairs]]);
    }
    const trimmed = trim(buckets, maxNeighbors);
    setEntry(out, src, trimmed);
    kept.set(src, new Map(Object.entries(trimmed)));
  }
  // The reverse index holds exactly the kept forward edges, so both directions agree.
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const back = new Map<Node, Map<string, DataflowEdge[]>>();
  for (const [src, buckets] of kept) {
    for (const [ns, edges] of buckets) {
      for (const [name, fp, score, pairs] of edges) {
        const tgt = byKey.get(`${ns}::${name}(${fp})`)!;
        const rev = back.get(tgt) ?? new Map<string, DataflowEdge[]>();
        const swapped = pairs.map(([a, b, s]): DataflowPair => [b, a, s]);
        rev.set(src.tool.namespace, [
          ...(rev.get(src.tool.namespace) ?? []),
          [src.tool.name, src.fp, score, swapped],
        ]);
        back.set(tgt, rev);
      }
    }
  }
  const into: DataflowIndex = {};
  for (const [tgt, rev] of back) setEntry(into, tgt, trim(rev, maxNeighbors));
  return { out, in: into };
}

function setEntry(index: DataflowIndex, n: Node, v: Record<string, DataflowEdge[]>): void {
  const q = qualifiedName(n.tool);
  index[q] ??= {};
  index[q][n.fp] = v;
}

function trim(buckets: Map<string, DataflowEdge[]>, max: number): Record<string, DataflowEdge[]> {
  return Object.fromEntries(
    [...buckets].map(([ns, edges]) => [ns, edges.sort(byScoreThenNames).slice(0, max)]),
  );
}

/** Best score first; ties by name so the graph does not depend on registration order. */
function byScoreThenNames(a: [string, string, number, ...unknown[]], b: typeof a): number {
  if (b[2] !== a[2]) return b[2] - a[2];
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
