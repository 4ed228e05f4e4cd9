import { convertValue } from "./convert.js";
import { type NumericParams, numericQuantile } from "./draw.js";
import type { SamplerType } from "./params.js";
import { normalCdf, normalQuantile } from "./stats.js";

/** The standard normal density. */
function phi(x: number): number {
  return Number.isFinite(x) ? Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI) : 0;
}

/** Quadrature nodes over the latent numeric score: z, its weight φ(z)dz, and the value drawn. */
interface Grid {
  z: number[];
  w: number[];
  x: number[];
}

function grid(type: SamplerType, params: NumericParams, convertTo: string | undefined): Grid {
  const steps = 1200;
  const h = 16 / steps;
  const out: Grid = { z: [], w: [], x: [] };
  let total = 0;
  for (let i = 0; i <= steps; i++) {
    const z = -8 + i * h;
    const u = Math.min(Math.max(normalCdf(z), 1e-15), 1 - 1e-15);
    const w = phi(z) * (i === 0 || i === steps ? 0.5 : 1);
    out.z.push(z);
    out.w.push(w);
    out.x.push(
      Number(
        convertValue(numericQuantile(type, params, u), convertTo === "str" ? undefined : convertTo),
      ),
    );
    total += w;
  }
  for (let i = 0; i < out.w.length; i++) out.w[i]! /= total;
  return out;
}

/**
 * The Pearson correlation between a category's position k (0, 1, ...) and the numeric value X
 * when both come from a bivariate normal pair with correlation `rho` (the Gaussian copula):
 * k is the interval of the cuts that Φ(Z_c) falls in, X = Q(Φ(Z_n)). Computed by quadrature
 * over Z_n with P(k | Z_n = z) = Φ((t_k+1 − ρz)/√(1−ρ²)) − Φ((t_k − ρz)/√(1−ρ²)).
 */
function copulaCorrelation(rho: number, cuts: readonly number[], g: Grid): number {
  const t = cuts.map((c) => normalQuantile(c));
  const s = Math.sqrt(1 - rho * rho);
  let ek = 0;
  let ekk = 0;
  for (let k = 0; k < cuts.length - 1; k++) {
    const p = cuts[k + 1]! - cuts[k]!;
    ek += p * k;
    ekk += p * k * k;
  }
  let ex = 0;
  let exx = 0;
  let ekx = 0;
  for (let i = 0; i < g.z.length; i++) {
    const z = g.z[i]!;
    const x = g.x[i]!;
    const w = g.w[i]!;
    ex += w * x;
    exx += w * x * x;
    // E[k | Z_n = z] = Σ k P(k | z) = Σ_{k>=1} P(k' >= k | z) = Σ_{k>=1} (1 − Φ((t_k − ρz)/s)).
    let kz = 0;
    for (let k = 1; k < cuts.length - 1; k++) kz += 1 - normalCdf((t[k]! - rho * z) / s);
    ekx += w * x * kz;
  }
  const sk = Math.sqrt(Math.max(ekk - ek * ek, 0));
  const sx = Math.sqrt(Math.max(exx - ex * ex, 0));
  return sk === 0 || sx === 0 ? 0 : (ekx - ek * ex) / (sk * sx);
}

/** The largest |latent correlation| used: at 1 the copula is degenerate. */
const RHO_MAX = 0.9999;

/**
 * The correlation to give the Gaussian copula's latent pair so that the Pearson correlation of
 * the category's position and the numeric value (after `convert_to`) comes out at `strength`,
 * found by bisection on the exact copula correlation (README.md). `latent` is undefined when
 * |strength| is more than these two columns can show (`reachable`).
 *
 * @example
 * latentCorrelation(0.3, [0, 0.25, 0.5, 0.75, 1], "uniform", { low: 0.5, high: 5.5 }, "int")
 * // { latent: 0.34..., reachable: 0.94... }
 */
export function latentCorrelation(
  strength: number,
  cuts: readonly number[],
  type: SamplerType,
  params: NumericParams,
  convertTo: string | undefined,
): { latent: number | undefined; reachable: number } {
  const g = grid(type, params, convertTo);
  if (strength === 0) return { latent: 0, reachable: copulaCorrelation(RHO_MAX, cuts, g) };
  // The copula correlation rises monotonically with rho; its ends bound what can be reached.
  const end = strength > 0 ? RHO_MAX : -RHO_MAX;
  const reachable = Math.abs(copulaCorrelation(end, cuts, g));
  if (!(reachable > 0) || Math.abs(strength) > reachable) return { latent: undefined, reachable };
  let lo = Math.min(0, end);
  let hi = Math.max(0, end);
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (copulaCorrelation(mid, cuts, g) < strength) lo = mid;
    else hi = mid;
  }
  return { latent: (lo + hi) / 2, reachable };
}
