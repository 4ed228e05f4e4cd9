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

const schema = z.object(graphSamplerKeys(2));

type Direction = "out" | "in";

/**
 * `tc/fan_out` and `tc/fan_in` (need the `dataflow` enrichment). Fan-out: one tool whose output
 * can feed each of k-1 others, returned first (`[seed, B, C, …]`); fan-in: k-1 tools whose
 * outputs can each feed one sink, returned last (`[A, B, …, sink]`). The hub is drawn uniformly
 * among the tools with at least k-1 linked tools, the others by edge score without replacement.
 * When no tool has enough, the sampler fails when it is built, naming the best hub found.
 *
 * @example
 * const s = fanOutSampler.create(fanOutSampler.schema.parse({ k: 3 }), registry);
 * s.sample(new Random(1)) // [seed, successor, successor]
 */
export class FanToolSampler implements ToolSampler {
  private readonly linkedTo = new Map<Tool, Scored[]>();

  constructor(
    private readonly c: z.infer<typeof schema>,
    private readonly registry: ToolRegistry,
    private readonly direction: Direction,
  ) {}

  private get type(): string {
    return this.direction === "out" ? "tc/fan_out" : "tc/fan_in";
  }

  private others(hub: Tool): Scored[] {
    let s = this.linkedTo.get(hub);
    if (!s) {
      const graph = dataflowOf(this.registry, this.type);
      s = linked(graph[this.direction], this.registry, hub, this.c.namespace, this.c.min_score);
      this.linkedTo.set(hub, s);
    }
    return s;
  }

  sample(rng: Random, k = this.c.k): Tool[] {
    dataflowOf(this.registry, this.type);
    const where = this.c.namespace ? ` in namespace '${this.c.namespace}'` : "";
    const pool = seedPool(this.registry, this.c.namespace);
    if (!pool.length) throw noPool(this.registry, this.type, this.c.namespace, k);
    const hubs = pool.filter((t) => this.others(t).length >= k - 1);
    if (hubs.length) {
      const hub = rng.pick(hubs);
      const picked = weightedOrder(rng, this.others(hub)).slice(0, k - 1);
      return this.direction === "out" ? [hub, ...picked] : [...picked, hub];
    }
    const best = pool.reduce<Tool | undefined>(
      (b, t) => (!b || this.others(t).length > this.others(b).length ? t : b),
      undefined,
    );
    const partial = best ? this.others(best).map(([t]) => t) : [];
    const role = this.direction === "out" ? "successors" : "predecessors";
    const most = best
      ? `; the most is ${partial.length}, for ${qualifiedName(best)}${partial.length ? ` (${describeTools(partial, ", ")})` : ""}`
      : "";
    throw new ToolSamplingError(
      `${this.type}: no tool${where} has ${k - 1} ${role} in the dataflow graph with min_score ${this.c.min_score}${most}`,
      k,
      best ? [best, ...partial].map(qualifiedName) : [],
      { hint: GRAPH_HINT },
    );
  }
}

/** `tc/fan_out` sampler. */
export const fanOutSampler = defineSampler({
  schema,
  requires: ["dataflow"],
  create: (c, registry) => checked(new FanToolSampler(c, registry, "out"), "tc/fan_out"),
});

/** `tc/fan_in` sampler. */
export const fanInSampler = defineSampler({
  schema,
  requires: ["dataflow"],
  create: (c, registry) => checked(new FanToolSampler(c, registry, "in"), "tc/fan_in"),
});
