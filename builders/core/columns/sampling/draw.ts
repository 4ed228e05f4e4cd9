import type { Random } from "digit-sdg";
import type { SamplerParams, SamplerType } from "./params.js";
import { drawPerson, loadPersonDataset, type PersonDataset } from "./person.js";
import { binomialQuantile, normalQuantile, poissonQuantile } from "./stats.js";

/**
 * A uniform draw in the open interval (0, 1), so quantile functions never see 0 or 1.
 *
 * @example
 * openUniform(new Random("k")) // 0.5488...
 */
export function openUniform(rng: Random): number {
  return rng.next() + 2 ** -33;
}

function round(x: number, places: number | undefined): number {
  if (places === undefined) return x;
  const f = 10 ** places;
  return Math.round(x * f) / f;
}

/**
 * The numeric samplers' params.
 *
 * @example
 * numericQuantile("poisson", { mean: 3 } satisfies NumericParams, 0.5)
 */
export type NumericParams = SamplerParams[
  | "uniform"
  | "gaussian"
  | "poisson"
  | "binomial"
  | "bernoulli"];

/**
 * The quantile function of a numeric sampler: the value drawn for a uniform `u`. Every numeric
 * draw goes through it, so a correlation rule can feed a correlated `u` and keep the marginal.
 *
 * @example
 * numericQuantile("gaussian", { mean: 10, stddev: 2 }, 0.5) // 10
 */
export function numericQuantile(type: SamplerType, params: NumericParams, u: number): number {
  switch (type) {
    case "uniform": {
      const p = params as SamplerParams["uniform"];
      return round(p.low + u * (p.high - p.low), p.decimal_places);
    }
    case "gaussian": {
      const p = params as SamplerParams["gaussian"];
      return round(p.mean + p.stddev * normalQuantile(u), p.decimal_places);
    }
    case "poisson":
      return poissonQuantile((params as SamplerParams["poisson"]).mean, u);
    case "binomial": {
      const p = params as SamplerParams["binomial"];
      return binomialQuantile(p.n, p.p, u);
    }
    case "bernoulli":
      return u >= 1 - (params as SamplerParams["bernoulli"]).p ? 1 : 0;
    default:
      throw new RangeError(`'${type}' is not a numeric sampler`);
  }
}

/**
 * The interval of `u` that selects each category value, from its weights: value k is drawn when
 * u falls in [cut[k], cut[k+1]). Equal weights when none are given.
 *
 * @example
 * categoryCuts(3, [1, 1, 2]) // [0, 0.25, 0.5, 1]
 */
export function categoryCuts(count: number, weights: readonly number[] | undefined): number[] {
  const w = weights ?? Array.from({ length: count }, () => 1);
  const total = w.reduce((s, x) => s + x, 0);
  const cuts = [0];
  let acc = 0;
  for (const x of w) {
    acc += x;
    cuts.push(acc / total);
  }
  cuts[cuts.length - 1] = 1;
  return cuts;
}

/**
 * The category index a uniform `u` selects.
 *
 * @example
 * categoryIndex([0, 0.25, 0.5, 1], 0.3) // 1
 */
export function categoryIndex(cuts: readonly number[], u: number): number {
  for (let k = 0; k < cuts.length - 1; k++)
    if (u < cuts[k + 1]! && cuts[k + 1]! > cuts[k]!) return k;
  let last = cuts.length - 2;
  while (last > 0 && cuts[last + 1] === cuts[last]) last--;
  return last;
}

function uuidFrom(rng: Random, p: SamplerParams["uuid"]): string {
  const hex = Array.from({ length: 32 }, () => rng.int(16).toString(16));
  hex[12] = "4";
  hex[16] = (8 + rng.int(4)).toString(16);
  const flat = hex.join("");
  const groups = [
    flat.slice(0, 8),
    flat.slice(8, 12),
    flat.slice(12, 16),
    flat.slice(16, 20),
    flat.slice(20),
  ];
  let id = p.short_form ? groups[0]! : groups.join("-");
  if (p.uppercase) id = id.toUpperCase();
  return `${p.prefix}${id}`;
}

const UNIT_MS = { D: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

function truncate(d: Date, unit: SamplerParams["datetime"]["unit"]): Date {
  const y = d.getUTCFullYear();
  if (unit === "Y") return new Date(Date.UTC(y, 0, 1));
  if (unit === "M") return new Date(Date.UTC(y, d.getUTCMonth(), 1));
  const ms = UNIT_MS[unit];
  return new Date(Math.floor(d.getTime() / ms) * ms);
}

/**
 * A datetime drawn uniformly in [start, end), truncated to the unit.
 *
 * @example
 * drawDatetime({ start: new Date("2024-01-01"), end: new Date("2024-12-31"), unit: "D" }, 0.5)
 */
export function drawDatetime(p: SamplerParams["datetime"], u: number): Date {
  const t = p.start.getTime() + u * (p.end.getTime() - p.start.getTime());
  return truncate(new Date(t), p.unit);
}

/**
 * A reference datetime plus a whole number of units drawn uniformly in [dt_min, dt_max).
 *
 * @example
 * const p = { dt_min: 1, dt_max: 8, unit: "D", reference_column_name: "d" } as const;
 * drawTimedelta(new Date("2024-01-01"), p, 0)
 * // 2024-01-02
 */
export function drawTimedelta(reference: Date, p: SamplerParams["timedelta"], u: number): Date {
  const steps = p.dt_min + Math.floor(u * (p.dt_max - p.dt_min));
  return new Date(reference.getTime() + steps * UNIT_MS[p.unit]);
}

/**
 * Draw a value of a non-numeric sampler that needs nothing but its params and the stream
 * (uuid, datetime, person).
 *
 * @example
 * drawPlain("uuid", { prefix: "id-", short_form: true, uppercase: false }, rng) // "id-3f2a9c1e"
 */
export function drawPlain(
  type: "uuid" | "datetime" | "person",
  params: SamplerParams[typeof type],
  rng: Random,
): unknown {
  if (type === "uuid") return uuidFrom(rng, params as SamplerParams["uuid"]);
  if (type === "datetime")
    return drawDatetime(params as SamplerParams["datetime"], openUniform(rng));
  const p = params as SamplerParams["person"];
  return drawPerson(loadPersonDataset(p.locale) as PersonDataset, p, rng);
}
