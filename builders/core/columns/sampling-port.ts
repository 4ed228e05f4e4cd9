import type { z } from "zod";

/** A sampler column as the sampler library parsed it. */
export type SamplerColumn = Record<string, unknown> & { name: string };

/** What the sampler library needs to sample every record of a task. */
export interface SamplingSpec {
  columns: SamplerColumn[];
  constraints?: unknown[] | undefined;
  diversity_strategy?: string | undefined;
  diversity_columns?: string[] | undefined;
  correlation_rules?: Array<[string, string, number]> | undefined;
  /** Run seed and task: with the record index, it decides every sampled value. */
  seedKey: string;
}

/**
 * The sampler library (builders/core/columns/sampling/), as the builder uses it: a schema for
 * sampler columns, a factory of per-record samplers, and the columns a sampler column reads.
 */
export interface SamplingLibrary {
  samplerColumnSchema: z.ZodType;
  createRecordSampler(spec: SamplingSpec): (recordIndex: number) => Record<string, unknown>;
  samplerReferences(column: SamplerColumn): string[];
}

const location = "./sampling/index.js";
let library: SamplingLibrary | undefined;
try {
  library = (await import(location)) as SamplingLibrary;
} catch {
  library = undefined;
}

/**
 * The sampler library. Tests may put a stand-in in its place with `useSampling`.
 *
 * @example
 * const sample = sampling().createRecordSampler({ columns, seedKey: "run:task" });
 */
export function sampling(): SamplingLibrary {
  if (!library) throw new Error("core/columns: the sampler library (builders/core/columns/sampling) is missing");
  return library;
}

/**
 * Replace the sampler library (tests only, until it is in the tree).
 *
 * @example
 * useSampling({ samplerColumnSchema, createRecordSampler, samplerReferences });
 */
export function useSampling(lib: SamplingLibrary): void {
  library = lib;
}
