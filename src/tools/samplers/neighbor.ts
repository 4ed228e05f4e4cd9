import { z } from "zod";
import { ConfigError } from "../../errors.js";
import type { Random } from "../../util/random.js";
import type { NeighborGraph } from "../enrichments/neighbors.js";
import type { ToolRegistry } from "../registry.js";
import { qualifiedName, schemaFingerprint, type Tool } from "../types.js";
import {
  checked,
  defineSampler,
  emptyRegistry,
  namespaceDistribution,
  poolsByNamespace,
  samplerKeys,
  type ToolSampler,
  unknownNamespace,
} from "./sampler.js";

const schema = z.object({
  ...samplerKeys,
  temperature: z
    .number()
    .positive()
    .default(1)
    .describe("Softmax temperature over neighbor scores"),
});

/**
 * `tc/neighbor` (needs the `neighbors` enrichment): a seed tool (namespace by the distribution,
 * then uniformly), its neighbors and their neighbors (two rounds), then k of those drawn by a
 * softmax of their edge scores, never two near-duplicates. Tools that can feed each other end up
 * in one scenario, so plans can chain calls.
 */
export class NeighborToolSampler implements ToolSampler {
  constructor(
    private readonly c: z.infer<typeof schema>,
    private readonly registry: ToolRegistry,
  ) {}

  sample(rng: Random, k = this.c.k): Tool[] {
    const graph = this.registry.artifacts.neighbors as NeighborGraph | undefined;
    if (!graph)
      throw new ConfigError("tc/neighbor: the tool registry has no neighbors graph", {
        hint: "add { type: embeddings } and { type: neighbors } to tools.enrichments",
      });
    const pools = poolsByNamespace(this.registry.all());
    if (!pools.size) throw emptyRegistry("tc/neighbor", k);
    let seed: Tool;
    if (this.c.namespace) {
      const pool = pools.get(this.c.namespace);
      if (!pool) throw unknownNamespace("tc/neighbor", this.c.namespace, [...pools.keys()], k);
      seed = rng.pick(pool);
    } else {
      const probs = namespaceDistribution(
        pools,
        this.c.namespace_weights,
        this.c.strategy,
        "tc/neighbor",
      );
      const ns = rng.weighted([...probs.keys()], [...probs.values()]);
      seed = rng.pick(pools.get(ns)!);
    }
    if (k === 1) return [seed];
    const found = new Map<string, [Tool, number]>();
    const dups = new Map<string, string[]>();
    let explore: [Tool, number][] = [[seed, 1]];
    for (let round = 0; round < 2; round++) {
      for (const [t, s] of explore) if (!found.has(t.name)) found.set(t.name, [t, s]);
      const next: [Tool, number][] = [];
      for (const [t] of explore) {
        const buckets = graph[qualifiedName(t)]?.[schemaFingerprint(t.parameters)] ?? {};
        const d: string[] = [];
        for (const [ns, [edges, near]] of Object.entries(buckets)) {
          for (const [name, fp, score] of edges) {
            const tool = this.registry.byFingerprint(`${ns}::${name}`, fp);
            if (tool) next.push([tool, score]);
          }
          for (const [name] of near) d.push(`${ns}::${name}`);
        }
        dups.set(qualifiedName(t), d);
      }
      explore = next;
    }
    let remaining = [...found.values()].filter(([t]) => t.namespace === seed.namespace);
    const chosen: Tool[] = [];
    const nogood = new Set<string>();
    while (chosen.length < k && remaining.length) {
      const ws = softmax(remaining.map(([, s]) => s / this.c.temperature));
      const pick = rng.weighted(
        remaining.map(([t]) => t),
        ws,
      );
      chosen.push(pick);
      for (const q of dups.get(qualifiedName(pick)) ?? []) nogood.add(q);
      remaining = remaining.filter(([t]) => t !== pick && !nogood.has(qualifiedName(t)));
    }
    return chosen;
  }
}

function softmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** `tc/neighbor` sampler. */
export const neighborSampler = defineSampler({
  schema,
  requires: ["neighbors"],
  create: (c, registry) => checked(new NeighborToolSampler(c, registry), "tc/neighbor"),
});
