import { z } from "zod";
import { Random } from "../../../../src/util/random.js";
import { useSampling, type SamplerColumn, type SamplingSpec } from "../sampling-port.js";

/**
 * A stand-in for the sampler library in tests of the builder (category and uniform only,
 * seeded by seed key and record index): the builder's tests do not test sampling.
 *
 * @example
 * installSamplingDouble();
 */
export function installSamplingDouble(): void {
  useSampling({
    samplerColumnSchema: z.looseObject({ name: z.string(), sampler_type: z.enum(["category", "uniform"]), params: z.record(z.string(), z.unknown()) }),
    createRecordSampler(spec: SamplingSpec) {
      return (index: number) => {
        const out: Record<string, unknown> = {};
        for (const c of spec.columns) {
          const rng = new Random(`${spec.seedKey}|${c.name}|${index}`);
          const p = c.params as { values?: unknown[]; low?: number; high?: number };
          out[c.name] = c.sampler_type === "category" ? rng.pick(p.values ?? []) : Math.floor((p.low ?? 0) + rng.next() * ((p.high ?? 1) - (p.low ?? 0) + 1));
        }
        return out;
      };
    },
    samplerReferences: (_c: SamplerColumn) => [],
  });
}
