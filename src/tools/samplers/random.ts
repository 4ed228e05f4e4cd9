import { z } from "zod";
import type { Random } from "../../util/random.js";
import type { ToolRegistry } from "../registry.js";
import type { Tool } from "../types.js";
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

const schema = z.object(samplerKeys);

/**
 * `tc/random`: k tools drawn without replacement; across namespaces the k slots are split by the
 * namespace distribution (largest remainder), a namespace with too few tools handing its slots to
 * the others. Two tools of the same name are never both drawn.
 */
export class RandomToolSampler implements ToolSampler {
  constructor(
    private readonly c: z.infer<typeof schema>,
    private readonly registry: ToolRegistry,
  ) {}

  sample(rng: Random, k = this.c.k): Tool[] {
    const all = this.registry.all();
    if (!all.length) throw emptyRegistry("tc/random", k);
    if (this.c.namespace) {
      const pool = all.filter((t) => t.namespace === this.c.namespace);
      if (!pool.length)
        throw unknownNamespace(
          "tc/random",
          this.c.namespace,
          [...new Set(all.map((t) => t.namespace))],
          k,
        );
      return rng.sample(pool, k);
    }
    const pools = poolsByNamespace(all);
    let probs = namespaceDistribution(
      pools,
      this.c.namespace_weights,
      this.c.strategy,
      "tc/random",
    );
    const slots = new Map([...pools.keys()].map((ns) => [ns, 0]));
    let remaining = k;
    while (remaining > 0 && probs.size) {
      const alloc = largestRemainder(probs, remaining);
      let overflow = 0;
      const exhausted: string[] = [];
      for (const [ns, a] of alloc) {
        const room = pools.get(ns)!.length - slots.get(ns)!;
        const take = Math.min(a, room);
        overflow += a - take;
        slots.set(ns, slots.get(ns)! + take);
        if (slots.get(ns)! >= pools.get(ns)!.length) exhausted.push(ns);
      }
      remaining = overflow;
      if (!exhausted.length) break;
      const left = [...probs].filter(([ns]) => !exhausted.includes(ns));
      const total = left.reduce((s, [, p]) => s + p, 0);
      probs = new Map(left.map(([ns, p]) => [ns, p / total]));
    }
    const out: Tool[] = [];
    for (const [ns, n] of slots) {
      for (const t of rng.sample(pools.get(ns)!, n))
        if (!out.some((o) => o.name === t.name)) out.push(t);
    }
    return out;
  }
}

function largestRemainder(probs: Map<string, number>, k: number): Map<string, number> {
  const quotas = [...probs].map(([ns, p]) => [ns, p * k] as const);
  const floors = new Map(quotas.map(([ns, q]) => [ns, Math.floor(q)]));
  let rest = k - [...floors.values()].reduce((a, b) => a + b, 0);
  for (const [ns] of [...quotas].sort(
    (a, b) => b[1] - Math.floor(b[1]) - (a[1] - Math.floor(a[1])),
  )) {
    if (rest-- <= 0) break;
    floors.set(ns, floors.get(ns)! + 1);
  }
  return floors;
}

/** `tc/random` sampler. */
export const randomSampler = defineSampler({
  schema,
  requires: [],
  create: (c, registry) => checked(new RandomToolSampler(c, registry), "tc/random"),
});
