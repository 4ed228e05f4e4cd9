import { z } from "digit-sdg";

/** A value a category may take. */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const decimalPlaces = z
  .number()
  .int()
  .min(0)
  .max(15)
  .optional()
  .describe("Round the draw to this many decimals");

/**
 * `category`: one of `values`, with optional `weights` (same length, not all zero).
 *
 * @example
 * categoryParams.parse({ values: ["a", "b"], weights: [3, 1] })
 */
export const categoryParams = z
  .strictObject({
    values: z.array(scalar).min(1).describe("The values to draw from"),
    weights: z
      .array(z.number().min(0))
      .optional()
      .describe("Relative weight of each value (default: equal); one per value"),
  })
  .superRefine((p, ctx) => {
    if (p.weights && p.weights.length !== p.values.length) {
      ctx.addIssue({
        code: "custom",
        path: ["weights"],
        message:
          `${p.weights.length} weights for ${p.values.length} values: give one weight ` +
          `per value`,
      });
    } else if (p.weights && !p.weights.some((w) => w > 0)) {
      ctx.addIssue({ code: "custom", path: ["weights"], message: "the weights are all zero" });
    }
  });

/**
 * `subcategory`: a value from the list of the parent column's value.
 *
 * @example
 * subcategoryParams.parse({ category: "topic", values: { fruit: ["apple"] } })
 */
export const subcategoryParams = z.strictObject({
  category: z.string().min(1).describe("The parent column (a category sampler)"),
  values: z
    .record(z.string(), z.array(scalar).min(1))
    .describe("For each parent value, the values to draw from"),
});

/**
 * `uniform`: a float in [low, high).
 *
 * @example
 * uniformParams.parse({ low: 1, high: 5, decimal_places: 1 })
 */
export const uniformParams = z
  .strictObject({
    low: z.number(),
    high: z.number(),
    decimal_places: decimalPlaces,
  })
  .refine((p) => p.low < p.high, { path: ["high"], message: "high must be greater than low" });

/**
 * `gaussian`: normal with `mean` and `stddev`.
 *
 * @example
 * gaussianParams.parse({ mean: 40, stddev: 12 })
 */
export const gaussianParams = z.strictObject({
  mean: z.number(),
  stddev: z.number().min(0),
  decimal_places: decimalPlaces,
});

/**
 * `poisson`: counts with the given `mean`.
 *
 * @example
 * poissonParams.parse({ mean: 3 })
 */
export const poissonParams = z.strictObject({ mean: z.number().min(0).max(1e9) });

/**
 * `binomial`: successes in `n` trials of probability `p`.
 *
 * @example
 * binomialParams.parse({ n: 20, p: 0.3 })
 */
export const binomialParams = z.strictObject({
  n: z.number().int().min(0).max(1e9),
  p: z.number().min(0).max(1),
});

/**
 * `bernoulli`: 1 with probability `p`, else 0.
 *
 * @example
 * bernoulliParams.parse({ p: 0.1 })
 */
export const bernoulliParams = z.strictObject({ p: z.number().min(0).max(1) });

/**
 * `uuid`: a version-4 UUID drawn from the record's seed.
 *
 * @example
 * uuidParams.parse({ prefix: "T-", short_form: true })
 */
export const uuidParams = z.strictObject({
  prefix: z.string().default("").describe("Text put before the UUID"),
  short_form: z.boolean().default(false).describe("Only the first 8 hex digits"),
  uppercase: z.boolean().default(false).describe("Upper-case hex digits"),
});

/** A date (`2024-01-31`, read as UTC midnight) or an ISO datetime, as written in YAML. */
const dateText = z.string().transform((v, ctx) => {
  const d = new Date(/^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({
      code: "custom",
      message: `'${String(v)}' is not a date (write e.g. 2024-01-31)`,
    });
    return z.NEVER;
  }
  return d;
});

/**
 * The units a datetime draw is truncated to.
 *
 * @example
 * DATETIME_UNITS.includes("h") // true
 */
export const DATETIME_UNITS = ["Y", "M", "D", "h", "m", "s"] as const;
/**
 * The units of a time delta.
 *
 * @example
 * TIMEDELTA_UNITS.includes("D") // true
 */
export const TIMEDELTA_UNITS = ["D", "h", "m", "s"] as const;

/**
 * `datetime`: uniform between `start` and `end`, truncated to `unit`.
 *
 * @example
 * datetimeParams.parse({ start: "2024-01-01", end: "2024-12-31", unit: "D" })
 */
export const datetimeParams = z
  .strictObject({
    start: dateText,
    end: dateText,
    unit: z.enum(DATETIME_UNITS).default("D").describe("Y, M, D, h, m or s"),
  })
  .refine((p) => p.start.getTime() < p.end.getTime(), {
    path: ["end"],
    message: "end must be after start",
  });

/**
 * `timedelta`: the reference column's datetime plus a whole number of units in [dt_min, dt_max).
 *
 * @example
 * timedeltaParams.parse({ dt_min: 1, dt_max: 30, reference_column_name: "opened" })
 */
export const timedeltaParams = z
  .strictObject({
    dt_min: z.number().int(),
    dt_max: z.number().int(),
    reference_column_name: z.string().min(1).describe("A datetime or timedelta column"),
    unit: z.enum(TIMEDELTA_UNITS).default("D").describe("D, h, m or s"),
  })
  .refine((p) => p.dt_min < p.dt_max, {
    path: ["dt_max"],
    message: "dt_max must be greater than dt_min",
  });

/**
 * `person`: a person from the shipped locale dataset (data/person/<locale>.json).
 *
 * @example
 * personParams.parse({ sex: "Female", age_range: [30, 50] })
 */
export const personParams = z.strictObject({
  locale: z.string().default("en_US").describe("A dataset under data/person/"),
  sex: z.enum(["Male", "Female"]).optional().describe("Only this sex"),
  city: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .describe("Only these cities"),
  age_range: z
    .tuple([z.number().int().min(0), z.number().int().max(120)])
    .default([18, 100])
    .refine(([lo, hi]) => lo <= hi, { message: "age_range is [min, max] with min <= max" }),
});

/**
 * The params schema of every sampler type, by `sampler_type`.
 *
 * @example
 * SAMPLER_PARAMS.gaussian.parse({ mean: 0, stddev: 1 })
 */
export const SAMPLER_PARAMS = {
  category: categoryParams,
  subcategory: subcategoryParams,
  uniform: uniformParams,
  gaussian: gaussianParams,
  poisson: poissonParams,
  binomial: binomialParams,
  bernoulli: bernoulliParams,
  uuid: uuidParams,
  datetime: datetimeParams,
  timedelta: timedeltaParams,
  person: personParams,
} as const;

/**
 * A sampler type name.
 *
 * @example
 * const t: SamplerType = "poisson";
 */
export type SamplerType = keyof typeof SAMPLER_PARAMS;

/**
 * The known sampler type names.
 *
 * @example
 * SAMPLER_TYPES.includes("uuid") // true
 */
export const SAMPLER_TYPES = Object.keys(SAMPLER_PARAMS) as SamplerType[];

/**
 * The parsed params of each sampler type.
 *
 * @example
 * const p: SamplerParams["binomial"] = { n: 10, p: 0.5 };
 */
export type SamplerParams = { [K in SamplerType]: z.output<(typeof SAMPLER_PARAMS)[K]> };

/**
 * Samplers whose draws are numbers (they may take part in correlation rules).
 *
 * @example
 * NUMERIC_SAMPLERS.has("gaussian") // true
 */
export const NUMERIC_SAMPLERS: ReadonlySet<SamplerType> = new Set([
  "uniform",
  "gaussian",
  "poisson",
  "binomial",
  "bernoulli",
]);
