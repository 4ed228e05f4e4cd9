import { Random, z } from "digit-sdg";
import { closest, suggestion } from "../../../../src/util/did-you-mean.js";
import { conditionColumns, evaluateCondition } from "./condition.js";
import { compileColumn, samplerReferences, type CompiledColumn } from "./compile.js";
import {
  constraintColumns,
  constraintHolds,
  constraintSchema,
  type SamplerConstraint,
} from "./constraints.js";
import { convertValue } from "./convert.js";
import { latentCorrelation } from "./correlation.js";
import { Coverage, MAX_COMBINATIONS } from "./coverage.js";
import {
  categoryCuts,
  categoryIndex,
  drawPlain,
  drawTimedelta,
  numericQuantile,
  openUniform,
  type NumericParams,
} from "./draw.js";
import {
  ConstraintUnsatisfiableError,
  SamplerParamsError,
  SamplerReferenceError,
  UnknownSamplerError,
  type KeyPath,
} from "./errors.js";
import { NUMERIC_SAMPLERS, type SamplerParams } from "./params.js";
import type { SamplerColumn } from "./schema.js";
import { normalCdf, normalQuantile } from "./stats.js";

/**
 * The diversity strategies there are.
 *
 * @example
 * DIVERSITY_STRATEGIES.includes("maximize_coverage") // true
 */
export const DIVERSITY_STRATEGIES = ["maximize_coverage"] as const;

/**
 * How many times a record is drawn again before its constraints are declared unsatisfiable.
 *
 * @example
 * createRecordSampler({ columns, constraints, seedKey, maxAttempts: DEFAULT_MAX_ATTEMPTS * 10 });
 */
export const DEFAULT_MAX_ATTEMPTS = 1000;

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
 * What {@link createRecordSampler} samples: the sampler columns, the settings across them and the
 * seed key (the run's `--seed` and the task name) every draw is derived from.
 *
 * - `constraints`: strings like `"a < b"` / `"a >= 3"` or `{ target_column, operator, rhs }`
 *   (see {@link constraintSchema}), raw or already parsed.
 * - `diversity_strategy`: `"maximize_coverage"` over `diversity_columns` (category samplers).
 * - `correlation_rules`: `[category_column, numeric_column, strength]` (README.md for the model).
 * - `maxAttempts`: draws per record before a constraint is declared unsatisfiable (1000).
 *
 * @example
 * const spec: SamplingSpec = { columns, constraints: ["low < high"], seedKey: "42|my/task" };
 */
export interface SamplingSpec {
  columns: SamplerColumn[];
  constraints?: unknown[];
  diversity_strategy?: string | undefined;
  diversity_columns?: string[] | undefined;
  correlation_rules?: Array<[string, string, number]>;
  seedKey: string;
  maxAttempts?: number;
}

interface Rule {
  category: string;
  latent: number;
}

/**
 * The column of a settings-level error (constraints, diversity, correlation rules): none; its
 * path starts at the task (`["constraints", 2]`).
 */
const SPEC = "";

function unknownColumn(
  name: string,
  known: string[],
  column: string,
  path: KeyPath,
  what: string,
): SamplerReferenceError {
  return new SamplerReferenceError(column, path, `${what} '${name}' is not a sampler column`, {
    hint: suggestion(name, known),
  });
}

/** Order the columns so each comes after the columns it reads; a cycle is an error. */
function order(columns: CompiledColumn[], edges: Map<string, Set<string>>): CompiledColumn[] {
  const out: CompiledColumn[] = [];
  const state = new Map<string, "active" | "done">();
  const byName = new Map(columns.map((c) => [c.name, c]));
  const visit = (c: CompiledColumn, trail: string[]): void => {
    const s = state.get(c.name);
    if (s === "done") return;
    if (s === "active") {
      const cycle = [...trail.slice(trail.indexOf(c.name)), c.name];
      throw new SamplerReferenceError(
        c.name,
        [],
        `sampler columns depend on each other in a cycle: ${cycle.join(" -> ")}`,
        {
          hint:
            "break the cycle: a subcategory parent, timedelta reference or condition " +
            "cannot lead back to the column",
        },
      );
    }
    state.set(c.name, "active");
    for (const dep of edges.get(c.name) ?? []) visit(byName.get(dep)!, [...trail, c.name]);
    state.set(c.name, "done");
    out.push(c);
  };
  for (const c of columns) visit(c, []);
  return out;
}

function parseConstraints(raw: readonly unknown[]): SamplerConstraint[] {
  return raw.map((c, i) => {
    if (c && typeof c === "object" && "target" in c && "op" in c && "rhs" in c)
      return c as SamplerConstraint;
    const parsed = constraintSchema.safeParse(c);
    if (!parsed.success) {
      throw new SamplerParamsError(
        SPEC,
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
 * Check a sampling spec and return the function that samples one record's sampler columns.
 * Every draw of record i comes from a stream seeded by `seedKey`, i, the attempt number and the
 * column name, so a record's values are the same on every run and resume whatever order records
 * are asked for in. Columns are drawn parents first; conditional params are chosen on the values
 * drawn so far; records breaking a constraint are drawn again (rejection sampling). Record 0 is
 * sampled once here, so a constraint no draw can meet fails before any output is written.
 *
 * @throws UnknownSamplerError, SamplerParamsError, SamplerReferenceError,
 *   ConstraintUnsatisfiableError
 * @example
 * const sample = createRecordSampler({
 *   seedKey: "42|support/tickets",
 *   columns: [
 *     samplerColumnSchema.parse({
 *       name: "category", type: "sampler", sampler_type: "category",
 *       params: { values: ["billing", "shipping"] },
 *     }),
 *   ],
 * });
 * sample(7) // { category: "shipping" }, the same on every run
 */
export function createRecordSampler(
  spec: SamplingSpec,
): (recordIndex: number) => Record<string, unknown> {
  const seen = new Set<string>();
  for (const c of spec.columns) {
    if (seen.has(c.name))
      throw new SamplerParamsError(c.name, ["name"], `two sampler columns are named '${c.name}'`, {
        hint: "rename one of them",
      });
    seen.add(c.name);
  }
  const compiled = spec.columns.map(compileColumn);
  const byName = new Map(compiled.map((c) => [c.name, c]));
  const names = [...byName.keys()];
  const edges = new Map<string, Set<string>>(compiled.map((c) => [c.name, new Set<string>()]));

  for (const c of compiled) checkReferences(c, byName, names, edges);

  const constraints = parseConstraints(spec.constraints ?? []);
  constraints.forEach((k, i) => {
    for (const name of constraintColumns(k)) {
      if (!byName.has(name))
        throw unknownColumn(
          name,
          names,
          SPEC,
          ["constraints", i],
          `constraint '${k.text}' names column`,
        );
      const type = byName.get(name)!.type;
      if (type === "person" || type === "uuid") {
        throw new SamplerParamsError(
          SPEC,
          ["constraints", i],
          `constraint '${k.text}' compares '${name}', a ${type} sampler`,
          { hint: "constraints compare numbers, datetimes or category values" },
        );
      }
    }
  });

  const diversity = diversityOf(spec, compiled, byName, names);
  const coverage = diversity.length
    ? new Coverage(
        spec.seedKey,
        diversity.map((c) => (c.branches[0]!.params as SamplerParams["category"]).values.length),
      )
    : undefined;
  const diversityIndex = new Map(diversity.map((c, i) => [c.name, i]));

  const rules = correlationRules(spec, byName, names, diversityIndex, edges);
  const ordered = order(compiled, edges);
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;

  const sampleOnce = (
    index: number,
    attempt: number,
    combo: number[] | undefined,
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const view: Record<string, unknown> = {};
    const raw: Record<string, unknown> = {};
    const latent: Record<string, number> = {};
    for (const c of ordered) {
      const rng = new Random(`${spec.seedKey}|${index}|${attempt}|${c.name}`);
      const branch = c.branches.find((b) => !b.condition || evaluateCondition(b.condition, view))!;
      const fixed =
        combo && diversityIndex.has(c.name) ? combo[diversityIndex.get(c.name)!] : undefined;
      const value = drawColumn(c, branch.params, rng, raw, latent, rules.get(c.name), fixed);
      raw[c.name] = value;
      out[c.name] = convertValue(value, c.column.convert_to);
      view[c.name] = value instanceof Date ? value : out[c.name];
    }
    (out as { [VIEW]?: Record<string, unknown> })[VIEW] = view;
    return out;
  };

  const sample = (recordIndex: number): Record<string, unknown> => {
    if (!Number.isSafeInteger(recordIndex) || recordIndex < 0) {
      throw new RangeError(`record index must be a non-negative integer, got ${recordIndex}`);
    }
    const combo = coverage?.combination(recordIndex);
    const failures = constraints.map(() => 0);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const out = sampleOnce(recordIndex, attempt, combo);
      const view = (out as { [VIEW]?: Record<string, unknown> })[VIEW]!;
      delete (out as { [VIEW]?: Record<string, unknown> })[VIEW];
      const broken = constraints.findIndex((k) => !constraintHolds(k, view));
      if (broken < 0) return out;
      failures[broken]!++;
    }
    const worst = failures.indexOf(Math.max(...failures));
    const k = constraints[worst]!;
    throw new ConstraintUnsatisfiableError(
      SPEC,
      ["constraints", worst],
      `constraint '${k.text}' could not be met for record ${recordIndex}: ${maxAttempts} ` +
        `draws of the sampler columns all broke it`,
      {
        hint: `loosen the constraint, or change the params of ${constraintColumns(k)
          .map((n) => `'${n}'`)
          .join(" and ")} so their draws can meet it`,
      },
    );
  };
  sample(0);
  return sample;
}

const VIEW = Symbol("view");

function checkReferences(
  c: CompiledColumn,
  byName: Map<string, CompiledColumn>,
  names: string[],
  edges: Map<string, Set<string>>,
): void {
  const base = c.branches[c.branches.length - 1]!.params as Record<string, unknown>;
  if (c.type === "subcategory") {
    const parentName = base.category as string;
    const parent = byName.get(parentName);
    if (!parent)
      throw unknownColumn(
        parentName,
        names.filter((n) => n !== c.name),
        c.name,
        ["params", "category"],
        "subcategory parent",
      );
    if (parent.type !== "category" && parent.type !== "subcategory") {
      throw new SamplerParamsError(
        c.name,
        ["params", "category"],
        `subcategory parent '${parentName}' is a ${parent.type} sampler, not a category or ` +
          `subcategory`,
      );
    }
    const parentValues = new Set<string>();
    for (const b of parent.branches) {
      const p = b.params as SamplerParams["category"] | SamplerParams["subcategory"];
      const vals = Array.isArray(p.values) ? p.values : Object.values(p.values).flat();
      for (const v of vals) parentValues.add(String(v));
    }
    for (const b of c.branches) {
      const map = (b.params as SamplerParams["subcategory"]).values;
      for (const v of parentValues) {
        if (!(v in map)) {
          const at =
            b.text === undefined ? ["params", "values"] : ["conditional_params", b.text, "values"];
          throw new SamplerParamsError(
            c.name,
            at,
            `subcategory '${c.name}' has no values for '${v}', a value of its parent ` +
              `'${parentName}'`,
            {
              hint: `add '${v}: [...]' under values`,
            },
          );
        }
      }
    }
  }
  if (c.type === "timedelta") {
    const refName = base.reference_column_name as string;
    const ref = byName.get(refName);
    if (!ref)
      throw unknownColumn(
        refName,
        names.filter((n) => n !== c.name),
        c.name,
        ["params", "reference_column_name"],
        "timedelta reference",
      );
    if (ref.type !== "datetime" && ref.type !== "timedelta") {
      throw new SamplerParamsError(
        c.name,
        ["params", "reference_column_name"],
        `timedelta reference '${refName}' is a ${ref.type} sampler, not a datetime or timedelta`,
      );
    }
  }
  for (const b of c.branches) {
    if (b.text === undefined || b.condition === undefined) continue;
    if (conditionColumns(b.condition).includes(c.name)) {
      throw new SamplerReferenceError(
        c.name,
        ["conditional_params", b.text],
        `condition '${b.text}' of column '${c.name}' reads the column itself`,
        { hint: "a condition reads other sampler columns, drawn before this one" },
      );
    }
    for (const ref of samplerReferences({ ...c.column, conditional_params: { [b.text]: {} } })) {
      if (!byName.has(ref))
        throw unknownColumn(
          ref,
          names.filter((n) => n !== c.name),
          c.name,
          ["conditional_params", b.text],
          `condition '${b.text}' names column`,
        );
    }
  }
  for (const ref of samplerReferences(c.column)) edges.get(c.name)!.add(ref);
}

function diversityOf(
  spec: SamplingSpec,
  compiled: CompiledColumn[],
  byName: Map<string, CompiledColumn>,
  names: string[],
): CompiledColumn[] {
  const strategy = spec.diversity_strategy;
  if (strategy === undefined) {
    if (spec.diversity_columns?.length) {
      throw new SamplerParamsError(
        SPEC,
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
      SPEC,
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
    if (!c) throw unknownColumn(name, names, SPEC, ["diversity_columns", i], "diversity column");
    if (c.type !== "category") {
      throw new SamplerParamsError(
        SPEC,
        ["diversity_columns", i],
        `diversity column '${name}' is a ${c.type} sampler; maximize_coverage covers category ` +
          `samplers`,
      );
    }
    if (c.branches.length > 1) {
      throw new SamplerParamsError(
        SPEC,
        ["diversity_columns", i],
        `diversity column '${name}' has conditional_params; its values must be the same for ` +
          `every record to be covered`,
      );
    }
    return c;
  });
  if (out.length === 0) {
    throw new SamplerParamsError(
      SPEC,
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
      SPEC,
      ["diversity_columns"],
      `the diversity columns have ${size} combinations, more than ${MAX_COMBINATIONS}`,
      {
        hint: "cover fewer columns",
      },
    );
  }
  return out;
}

function correlationRules(
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
        SPEC,
        ["correlation_rules", i, 0],
        "correlation rule category",
      );
    if (cat.type !== "category") {
      throw new SamplerParamsError(
        SPEC,
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
        SPEC,
        ["correlation_rules", i, 1],
        "correlation rule numeric column",
      );
    if (!NUMERIC_SAMPLERS.has(num.type)) {
      throw new SamplerParamsError(
        SPEC,
        ["correlation_rules", i, 1],
        `correlation rule: '${numName}' is a ${num.type} sampler; the second column must be ` +
          `one of ${[...NUMERIC_SAMPLERS].join(", ")}`,
      );
    }
    if (typeof strength !== "number" || !(Math.abs(strength) <= 1)) {
      throw new SamplerParamsError(
        SPEC,
        ["correlation_rules", i, 2],
        `correlation rule strength ${String(strength)} is not a number in -1..1`,
      );
    }
    if (rules.has(numName)) {
      throw new SamplerParamsError(
        SPEC,
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
        SPEC,
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

function drawColumn(
  c: CompiledColumn,
  params: SamplerParams[keyof SamplerParams],
  rng: Random,
  raw: Record<string, unknown>,
  latent: Record<string, number>,
  rule: Rule | undefined,
  fixed: number | undefined,
): unknown {
  switch (c.type) {
    case "category": {
      const p = params as SamplerParams["category"];
      let u: number;
      if (fixed !== undefined) u = (fixed + openUniform(rng)) / p.values.length;
      else u = openUniform(rng);
      const k = fixed ?? categoryIndex(categoryCuts(p.values.length, p.weights), u);
      latent[c.name] = normalQuantile(u);
      return p.values[k];
    }
    case "subcategory": {
      const p = params as SamplerParams["subcategory"];
      const parent = String(raw[p.category]);
      const values = p.values[parent];
      if (!values) {
        const typo = closest(parent, Object.keys(p.values));
        throw new SamplerParamsError(
          c.name,
          ["params", "values"],
          `subcategory '${c.name}' has no values for '${parent}', a value of its parent ` +
            `'${p.category}'`,
          {
            hint: `add '${parent}: [...]' under values${typo ? ` (is '${typo}' a typo?)` : ""}`,
          },
        );
      }
      return rng.pick(values);
    }
    case "uniform":
    case "gaussian":
    case "poisson":
    case "binomial":
    case "bernoulli": {
      let u = openUniform(rng);
      if (rule) {
        const z =
          rule.latent * latent[rule.category]! +
          Math.sqrt(1 - rule.latent ** 2) * normalQuantile(u);
        u = Math.min(Math.max(normalCdf(z), 1e-15), 1 - 1e-15);
      }
      return numericQuantile(c.type, params as NumericParams, u);
    }
    case "timedelta": {
      const p = params as SamplerParams["timedelta"];
      return drawTimedelta(raw[p.reference_column_name] as Date, p, openUniform(rng));
    }
    default:
      return drawPlain(
        c.type as "uuid" | "datetime" | "person",
        params as SamplerParams["uuid"],
        rng,
      );
  }
}
