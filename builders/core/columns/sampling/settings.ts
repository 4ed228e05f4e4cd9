import { suggestion, z } from "digit-sdg";
import type { CompiledColumn } from "./compile.js";
import { constraintSchema, type SamplerConstraint } from "./constraints.js";
import { latentCorrelation } from "./correlation.js";
import { MAX_COMBINATIONS } from "./coverage.js";
import { categoryCuts, type NumericParams } from "./draw.js";
import { SamplerParamsError, UnknownSamplerError } from "./errors.js";
import { SETTINGS, unknownColumn } from "./links.js";
import { NUMERIC_SAMPLERS, type SamplerParams } from "./params.js";
import type { SamplingSpec } from "./record-sampler.js";

// The settings across sampler columns: constraints, diversity and correlation rules, checked.

/**
 * The diversity strategies there are.
 *
 * @example
 * DIVERSITY_STRATEGIES.includes("maximize_coverage") // true
 */
export const DIVERSITY_STRATEGIES = ["maximize_coverage"] as const;

/**
 * The task-level sampling settings, for the columns builder to put in its config schema:
 * `constraints`, `diversity_strategy` with `diversity_columns`, and `correlation_rules`.
 *
 * @example
 * samplingSettingsSchema.parse({
 *   constraints: ["low < high"],
 *   correlation_rules: [["category", "difficulty", 0.3]],
 * });
 */
export const samplingSettingsSchema = z.object({
  constraints: z
    .array(constraintSchema)
    .default([])
    .describe('Inequalities between sampler columns, e.g. "low < high" or "age >= 18"'),
  diversity_strategy: z
    .string()
    .optional()
    .describe("maximize_coverage: every combination of diversity_columns before any repeats"),
  diversity_columns: z
    .array(z.string())
    .optional()
    .describe(
      "The category columns to cover (default: every category column without conditional params)",
    ),
  correlation_rules: z
    .array(z.tuple([z.string(), z.string(), z.number().min(-1).max(1)]))
    .default([])
    .describe("[category column, numeric column, strength in -1..1]"),
});

/**
 * A correlation rule of a numeric column: the category it follows and the copula's latent
 * correlation.
 *
 * @example
 * const rule: Rule = { category: "category", latent: 0.34 };
 */
export interface Rule {
  category: string;
  latent: number;
}

/**
 * Parse the spec's constraints (raw or already parsed by {@link constraintSchema}).
 *
 * @example
 * parseConstraints(["low < high"])[0].rhs // { column: "high" }
 */
export function parseConstraints(raw: readonly unknown[]): SamplerConstraint[] {
  return raw.map((c, i) => {
    if (c && typeof c === "object" && "target" in c && "op" in c && "rhs" in c)
      return c as SamplerConstraint;
    const parsed = constraintSchema.safeParse(c);
    if (!parsed.success) {
      throw new SamplerParamsError(
        SETTINGS,
        ["constraints", i],
        `constraint ${JSON.stringify(c)} is not valid: ${parsed.error.issues[0]?.message}`,
        {
          hint:
            'write e.g. "low < high", "age >= 18" or ' +
            "{ target_column: age, operator: ge, rhs: 18 }",
        },
      );
    }
    return parsed.data;
  });
}

/**
 * The category columns `maximize_coverage` covers (none without a strategy), checked.
 *
 * @example
 * diversityOf({ ...spec, diversity_strategy: "maximize_coverage" }, compiled, byName, names)
 */
export function diversityOf(
  spec: SamplingSpec,
  compiled: CompiledColumn[],
  byName: Map<string, CompiledColumn>,
  names: string[],
): CompiledColumn[] {
  const strategy = spec.diversity_strategy;
  if (strategy === undefined) {
    if (spec.diversity_columns?.length) {
      throw new SamplerParamsError(
        SETTINGS,
        ["diversity_columns"],
        "diversity_columns is set but diversity_strategy is not",
        {
          hint: "add diversity_strategy: maximize_coverage",
        },
      );
    }
    return [];
  }
  if (!(DIVERSITY_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UnknownSamplerError(
      SETTINGS,
      ["diversity_strategy"],
      `unknown diversity_strategy '${strategy}'`,
      {
        hint: suggestion(strategy, DIVERSITY_STRATEGIES),
      },
    );
  }
  const chosen =
    spec.diversity_columns ??
    compiled.filter((c) => c.type === "category" && c.branches.length === 1).map((c) => c.name);
  const out = chosen.map((name, i) => {
    const c = byName.get(name);
    if (!c)
      throw unknownColumn(name, names, SETTINGS, ["diversity_columns", i], "diversity column");
    if (c.type !== "category") {
      throw new SamplerParamsError(
        SETTINGS,
        ["diversity_columns", i],
        `diversity column '${name}' is a ${c.type} sampler; maximize_coverage covers category ` +
          `samplers`,
      );
    }
    if (c.branches.length > 1) {
      throw new SamplerParamsError(
        SETTINGS,
        ["diversity_columns", i],
        `diversity column '${name}' has conditional_params; its values must be the same for ` +
          `every record to be covered`,
      );
    }
    return c;
  });
  if (out.length === 0) {
    throw new SamplerParamsError(
      SETTINGS,
      ["diversity_strategy"],
      "maximize_coverage has no category column to cover",
      {
        hint: "add a category sampler column, or list the columns under diversity_columns",
      },
    );
  }
  const size = out.reduce(
    (p, c) => p * (c.branches[0]!.params as SamplerParams["category"]).values.length,
    1,
  );
  if (size > MAX_COMBINATIONS) {
    throw new SamplerParamsError(
      SETTINGS,
      ["diversity_columns"],
      `the diversity columns have ${size} combinations, more than ${MAX_COMBINATIONS}`,
      {
        hint: "cover fewer columns",
      },
    );
  }
  return out;
}

/**
 * The correlation rules by numeric column, checked and calibrated (README.md); adds each rule's
 * category as a dependency of its numeric column.
 *
 * @example
 * correlationRules(spec, byName, names, new Map(), edges).get("difficulty")?.latent
 */
export function correlationRules(
  spec: SamplingSpec,
  byName: Map<string, CompiledColumn>,
  names: string[],
  diversityIndex: Map<string, number>,
  edges: Map<string, Set<string>>,
): Map<string, Rule> {
  const rules = new Map<string, Rule>();
  (spec.correlation_rules ?? []).forEach((rule, i) => {
    const [catName, numName, strength] = rule;
    const cat = byName.get(catName);
    if (!cat)
      throw unknownColumn(
        catName,
        names,
        SETTINGS,
        ["correlation_rules", i, 0],
        "correlation rule category",
      );
    if (cat.type !== "category") {
      throw new SamplerParamsError(
        SETTINGS,
        ["correlation_rules", i, 0],
        `correlation rule: '${catName}' is a ${cat.type} sampler; the first column must be a ` +
          `category sampler`,
      );
    }
    const num = byName.get(numName);
    if (!num)
      throw unknownColumn(
        numName,
        names,
        SETTINGS,
        ["correlation_rules", i, 1],
        "correlation rule numeric column",
      );
    if (!NUMERIC_SAMPLERS.has(num.type)) {
      throw new SamplerParamsError(
        SETTINGS,
        ["correlation_rules", i, 1],
        `correlation rule: '${numName}' is a ${num.type} sampler; the second column must be ` +
          `one of ${[...NUMERIC_SAMPLERS].join(", ")}`,
      );
    }
    if (typeof strength !== "number" || !(Math.abs(strength) <= 1)) {
      throw new SamplerParamsError(
        SETTINGS,
        ["correlation_rules", i, 2],
        `correlation rule strength ${String(strength)} is not a number in -1..1`,
      );
    }
    if (rules.has(numName)) {
      throw new SamplerParamsError(
        SETTINGS,
        ["correlation_rules", i, 1],
        `'${numName}' is in two correlation rules; a numeric column follows one category`,
      );
    }
    const base = cat.branches[cat.branches.length - 1]!.params as SamplerParams["category"];
    const cuts = categoryCuts(
      base.values.length,
      diversityIndex.has(catName) ? undefined : base.weights,
    );
    const numBase = num.branches[num.branches.length - 1]!.params as NumericParams;
    const { latent, reachable } = latentCorrelation(
      strength,
      cuts,
      num.type,
      numBase,
      num.column.convert_to,
    );
    if (latent === undefined) {
      throw new SamplerParamsError(
        SETTINGS,
        ["correlation_rules", i, 2],
        `correlation ${strength} between '${catName}' and '${numName}' cannot be reached: ` +
          `with ${base.values.length} categories and this ${num.type} sampler ` +
          `the most is ±${reachable.toFixed(2)}`,
        {
          hint:
            `use a strength within ±${reachable.toFixed(2)}, more category values, or a ` +
            `finer numeric sampler`,
        },
      );
    }
    rules.set(numName, { category: catName, latent });
    edges.get(numName)!.add(catName);
  });
  return rules;
}
