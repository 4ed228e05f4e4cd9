/**
 * The numeric functions the samplers need: the standard normal CDF and its inverse, log-gamma,
 * and exact quantile functions of the Poisson and binomial distributions. Every numeric sampler
 * draws as `quantile(u)` of one uniform `u`, which keeps draws seeded and lets a correlation
 * rule feed a correlated `u` (see README.md).
 */

/**
 * The standard normal CDF Φ(x), through {@link erfc} (absolute error below 1e-7).
 *
 * @example
 * normalCdf(0) // 0.5
 */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * The complementary error function, relative error below 1.2e-7 everywhere (a Chebyshev fit).
 *
 * @example
 * erfc(0) // 1
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

// biome-ignore-start lint/correctness/noPrecisionLoss: AS 241 coefficients as published
/**
 * The inverse of the standard normal CDF, Φ⁻¹(p) for p in (0, 1) (Wichura's AS241, about 1e-16).
 *
 * @example
 * normalQuantile(0.975) // 1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
          45921.953931549871457) *
          r +
          13731.693765509461125) *
          r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
        21213.794301586595867) *
        r +
        5394.1960214247511077) *
        r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let v: number;
  if (r <= 5) {
    r -= 1.6;
    v =
      (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
        0.24178072517745061177) *
        r +
        1.27045825245236838258) *
        r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
        0.0151986665636164571966) *
        r +
        0.14810397642748007459) *
        r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    v =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
        0.0012426609473880784386) *
        r +
        0.026532189526576123093) *
        r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
        1.8463183175100546818e-5) *
        r +
        7.868691311456132591e-4) *
        r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -v : v;
}
// biome-ignore-end lint/correctness/noPrecisionLoss: AS 241 coefficients as published

/**
 * ln Γ(x) for x > 0 (Lanczos, g = 7, about 1e-15).
 *
 * @example
 * Math.exp(logGamma(5)) // 24
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** A discrete distribution on 0..max by its log-pmf, its mode, and the CDF at the mode. */
interface Discrete {
  logPmf: (k: number) => number;
  max: number;
  mode: number;
  cdfAtMode: number;
}

const discreteCache = new Map<string, Discrete>();

function discrete(key: string, logPmf: (k: number) => number, max: number, mode: number): Discrete {
  const hit = discreteCache.get(key);
  if (hit) return hit;
  // The mass at and below the mode, summed from the mode downward until terms vanish, so no
  // term underflows however large the mean (exp(-800) is 0 in doubles).
  let cdf = 0;
  for (let k = mode; k >= 0; k--) {
    const p = Math.exp(logPmf(k));
    cdf += p;
    if (k < mode && p < 1e-18 * cdf) break;
  }
  const d: Discrete = { logPmf, max, mode, cdfAtMode: Math.min(cdf, 1) };
  if (discreteCache.size > 1000) discreteCache.clear();
  discreteCache.set(key, d);
  return d;
}

/** The smallest k with CDF(k) >= u, walking from the mode: O(standard deviations) per draw. */
function discreteQuantile(d: Discrete, u: number): number {
  let k = d.mode;
  let c = d.cdfAtMode;
  if (u <= c) {
    while (k > 0) {
      const below = c - Math.exp(d.logPmf(k));
      if (below < u) break;
      c = below;
      k--;
    }
    return k;
  }
  while (c < u && k < d.max) {
    k++;
    const p = Math.exp(d.logPmf(k));
    c += p;
    if (p === 0 && k > d.mode) break;
  }
  return k;
}

/**
 * The Poisson(mean) quantile of u ∈ (0, 1).
 *
 * @example
 * poissonQuantile(3, 0.5) // 3
 */
export function poissonQuantile(mean: number, u: number): number {
  if (mean === 0) return 0;
  const logMean = Math.log(mean);
  const d = discrete(
    `p:${mean}`,
    (k) => k * logMean - mean - logGamma(k + 1),
    Infinity,
    Math.floor(mean),
  );
  return discreteQuantile(d, u);
}

/**
 * The Binomial(n, p) quantile of u ∈ (0, 1).
 *
 * @example
 * binomialQuantile(10, 0.5, 0.5) // 5
 */
export function binomialQuantile(n: number, p: number, u: number): number {
  if (p === 0) return 0;
  if (p === 1) return n;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const lnf = logGamma(n + 1);
  const d = discrete(
    `b:${n}:${p}`,
    (k) => lnf - logGamma(k + 1) - logGamma(n - k + 1) + k * lp + (n - k) * lq,
    n,
    Math.min(n, Math.floor((n + 1) * p)),
  );
  return discreteQuantile(d, u);
}
