import { convertValue } from "./convert.js";
import { numericQuantile, type NumericParams } from "./draw.js";
import type { SamplerType } from "./params.js";
import { normalCdf, normalQuantile } from "./stats.js";

/** The standard normal density. */
function phi(x: number): number {
  return Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0;
}

/**
 * How much of a latent normal's correlation survives when it is cut into ordered categories of
 * the given probabilities: corr(k, Z) where k is the index of the interval of Z.
 *
 * @example
 * categoryAttenuation([0, 0.5, 1]) // sqrt(2/π) ≈ 0.798
 */
export function categoryAttenuation(cuts: readonly number[]): number {
  let mean = 0;
  let square = 0;
  let cov = 0;
  for (let k = 0; k < cuts.length - 1; k++) {
    const p = cuts[k + 1]! - cuts[k]!;
    mean += p * k;
    square += p * k * k;
    // E[Z; Z in (t_k, t_k+1)] = φ(t_k) − φ(t_k+1).
    cov += k * (phi(normalQuantile(cuts[k]!)) - phi(normalQuantile(cuts[k + 1]!)));
  }
  const sd = Math.sqrt(Math.max(square - mean * mean, 0));
  return sd === 0 ? 0 : cov / sd;
}

/**
 * How much of a latent normal's correlation survives through a numeric sampler's quantile
 * function (and `convert_to`): corr(X, Z) for X = convert(Q(Φ(Z))), by quadrature over Z.
 *
 * @example
 * numericAttenuation("gaussian", { mean: 0, stddev: 1 }, undefined) // ≈ 1
 * numericAttenuation("uniform", { low: 0, high: 1 }, undefined) // sqrt(3/π) ≈ 0.977
 */
export function numericAttenuation(type: SamplerType, params: NumericParams, convertTo: string | undefined): number {
  const steps = 4000;
  const lo = -8;
  const h = 16 / steps;
  let w = 0;
  let mx = 0;
  let mxx = 0;
  let mxz = 0;
  for (let i = 0; i <= steps; i++) {
    const z = lo + i * h;
    const u = Math.min(Math.max(normalCdf(z), 1e-15), 1 - 1e-15);
    const x = Number(convertValue(numericQuantile(type, params, u), convertTo === "str" ? undefined : convertTo));
    const d = phi(z) * (i === 0 || i === steps ? 0.5 : 1);
    w += d;
    mx += d * x;
    mxx += d * x * x;
    mxz += d * x * z;
  }
  mx /= w;
  const variance = mxx / w - mx * mx;
  return variance <= 0 ? 0 : mxz / w / Math.sqrt(variance);
}

/**
 * The correlation to give the Gaussian copula's latent pair so that the Pearson correlation of
 * the category's position and the numeric value comes out at `strength`, to first order in the
 * latent correlation (README.md). `latent` is undefined when |strength| is more than these two
 * columns can show (`reachable`).
 *
 * @example
 * latentCorrelation(0.3, categoryCuts(4, undefined), "uniform", { low: 0.5, high: 5.5 }, "int")
 */
export function latentCorrelation(
  strength: number, cuts: readonly number[], type: SamplerType, params: NumericParams, convertTo: string | undefined,
): { latent: number | undefined; reachable: number } {
  const reachable = categoryAttenuation(cuts) * numericAttenuation(type, params, convertTo);
  if (reachable <= 0) return { latent: undefined, reachable: 0 };
  const latent = strength / reachable;
  return { latent: Math.abs(latent) <= 1 ? latent : undefined, reachable };
}
