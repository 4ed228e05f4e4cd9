import { type SamplerColumn, samplerColumnSchema } from "./schema.js";

/** A parsed sampler column for tests. */
export function col(
  name: string,
  samplerType: string,
  params: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): SamplerColumn {
  return samplerColumnSchema.parse({
    name,
    type: "sampler",
    sampler_type: samplerType,
    params,
    ...extra,
  });
}

/** Mean and (population) variance of numbers. */
export function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

/** Pearson correlation. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const a = moments(xs);
  const b = moments(ys);
  let cov = 0;
  for (let i = 0; i < xs.length; i++) cov += (xs[i]! - a.mean) * (ys[i]! - b.mean);
  return cov / xs.length / Math.sqrt(a.variance * b.variance);
}
