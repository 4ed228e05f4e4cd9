import { closest, Random } from "digit-sdg";
import { type CompiledColumn, compileColumn } from "./compile.js";
import { evaluateCondition } from "./condition.js";
import { constraintColumns, constraintHolds } from "./constraints.js";
import { convertValue } from "./convert.js";
import { Coverage } from "./coverage.js";
import {
  categoryCuts,
  categoryIndex,
  drawPlain,
  drawTimedelta,
  type NumericParams,
  numericQuantile,
  openUniform,
} from "./draw.js";
import { ConstraintUnsatisfiableError, SamplerParamsError } from "./errors.js";
import { checkReferences, orderColumns, SETTINGS, unknownColumn } from "./links.js";
import type { SamplerParams } from "./params.js";
import type { SamplerColumn } from "./schema.js";
import { correlationRules, diversityOf, parseConstraints, type Rule } from "./settings.js";
import { normalCdf, normalQuantile } from "./stats.js";

/**
 * How many times a record is drawn again before its constraints are declared unsatisfiable.
 *
 * @example
 * createRecordSampler({ columns, constraints, seedKey, maxAttempts: DEFAULT_MAX_ATTEMPTS * 10 });
 */
export const DEFAULT_MAX_ATTEMPTS = 1000;

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
          SETTINGS,
          ["constraints", i],
          `constraint '${k.text}' names column`,
        );
      const type = byName.get(name)!.type;
      if (type === "person" || type === "uuid") {
        throw new SamplerParamsError(
          SETTINGS,
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
  const ordered = orderColumns(compiled, edges);
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;

  /** One attempt at a record: its output values, and the values conditions and constraints read. */
  const sampleOnce = (
    index: number,
    attempt: number,
    combo: number[] | undefined,
  ): { out: Record<string, unknown>; view: Record<string, unknown> } => {
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
    return { out, view };
  };

  const sample = (recordIndex: number): Record<string, unknown> => {
    if (!Number.isSafeInteger(recordIndex) || recordIndex < 0) {
      throw new RangeError(`record index must be a non-negative integer, got ${recordIndex}`);
    }
    const combo = coverage?.combination(recordIndex);
    const failures = constraints.map(() => 0);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const { out, view } = sampleOnce(recordIndex, attempt, combo);
      const broken = constraints.findIndex((k) => !constraintHolds(k, view));
      if (broken < 0) return out;
      failures[broken]!++;
    }
    const worst = failures.indexOf(Math.max(...failures));
    const k = constraints[worst]!;
    throw new ConstraintUnsatisfiableError(
      SETTINGS,
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
