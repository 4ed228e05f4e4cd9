import { z } from "zod";
import { ToolSamplingError } from "../../errors.js";
import type { Random } from "../../util/random.js";
import type { ToolRegistry } from "../registry.js";
import { qualifiedName, type Tool } from "../types.js";
import {
  dataflowOf,
  describeTools,
  GRAPH_HINT,
  graphSamplerKeys,
  linked,
  noPool,
  type Scored,
  seedPool,
  weightedOrder,
} from "./dataflow-graph.js";
import { checked, defineSampler, type ToolSampler } from "./sampler.js";

const schema = z.object(graphSamplerKeys(1));

/** Steps a search may take before it gives up (guards against pathological graphs). */
const SEARCH_BUDGET = 200_000;

/**
 * `tc/chain` (needs the `dataflow` enrichment): k tools A → B → C … where each tool's output can
 * feed the next one's input, returned in that order. The seed is drawn uniformly, each next tool
 * by edge score among the successors not yet in the chain; where DiGiT stops at a dead end this
 * walk backs up and tries the other successors, then other seeds, so a chain of k is found
 * whenever the graph has one. When it has none the sampler fails when it is built, naming the
 * longest chain it found.
 *
 * @example
 * const s = chainSampler.create(chainSampler.schema.parse({ k: 3 }), registry);
 * s.sample(new Random(1)).map((t) => t.name) // ["find_order", "refund_customer", "notify"]
 */
export class ChainToolSampler implements ToolSampler {
  private readonly successors = new Map<Tool, Scored[]>();

  constructor(
    private readonly c: z.infer<typeof schema>,
    private readonly registry: ToolRegistry,
  ) {}

  private next(tool: Tool): Scored[] {
    let s = this.successors.get(tool);
    if (!s) {
      const { out } = dataflowOf(this.registry, "tc/chain");
      s = linked(out, this.registry, tool, this.c.namespace, this.c.min_score);
      this.successors.set(tool, s);
    }
    return s;
  }

  sample(rng: Random, k = this.c.k): Tool[] {
    dataflowOf(this.registry, "tc/chain");
    const pool = seedPool(this.registry, this.c.namespace);
    const where = this.c.namespace ? ` in namespace '${this.c.namespace}'` : "";
    if (!pool.length) throw noPool(this.registry, "tc/chain", this.c.namespace, k);
    if (k > pool.length)
      throw new ToolSamplingError(
        `tc/chain: no chain of ${k} tools${where}: there are only ${pool.length}`,
        k,
        [],
        { hint: GRAPH_HINT },
      );
    let longest: Tool[] = [];
    let steps = 0;
    const extend = (chain: Tool[]): Tool[] | undefined => {
      if (chain.length > longest.length) longest = chain;
      if (chain.length >= k) return chain;
      if (++steps > SEARCH_BUDGET) return undefined;
      const used = new Set(chain.map(qualifiedName));
      const next = this.next(chain[chain.length - 1]!).filter(([t]) => !used.has(qualifiedName(t)));
      for (const t of weightedOrder(rng, next)) {
        const found = extend([...chain, t]);
        if (found) return found;
        if (steps > SEARCH_BUDGET) return undefined;
      }
      return undefined;
    };
    for (const seed of rng.sample(pool, pool.length)) {
      const found = extend([seed]);
      if (found) return found;
      if (steps > SEARCH_BUDGET) break;
    }
    const gaveUp = steps > SEARCH_BUDGET ? ` (search stopped after ${SEARCH_BUDGET} steps)` : "";
    throw new ToolSamplingError(
      `tc/chain: no chain of ${k} tools${where} in the dataflow graph with min_score ${this.c.min_score}${gaveUp}; the longest found has ${longest.length}: ${describeTools(longest, " → ")}`,
      k,
      longest.map(qualifiedName),
      { hint: GRAPH_HINT },
    );
  }
}

/** `tc/chain` sampler. */
export const chainSampler = defineSampler({
  schema,
  requires: ["dataflow"],
  create: (c, registry) => checked(new ChainToolSampler(c, registry), "tc/chain"),
});
