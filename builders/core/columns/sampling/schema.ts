import { closest, suggestion, z } from "digit-sdg";
import { ConditionSyntaxError, parseCondition } from "./condition.js";
import { convertProblem } from "./convert.js";
import type { KeyPath } from "./errors.js";
import { SAMPLER_PARAMS, SAMPLER_TYPES, type SamplerType } from "./params.js";

/**
 * One thing wrong with a sampler column: where (inside the column), what, and its error kind.
 *
 * @example
 * samplerProblems(column).map((p) => `${p.path.join(".")}: ${p.message}`)
 */
export interface SamplerProblem {
  kind: "unknown" | "params";
  path: KeyPath;
  message: string;
  hint?: string | undefined;
}

function isSamplerType(name: string): name is SamplerType {
  return (SAMPLER_TYPES as string[]).includes(name);
}

function shapeKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** The problems of one params object against its sampler's schema, paths prefixed by `at`. */
function paramsProblems(type: SamplerType, params: unknown, at: KeyPath): SamplerProblem[] {
  const schema = SAMPLER_PARAMS[type];
  const result = schema.safeParse(params);
  if (result.success) return [];
  const known = shapeKeys(schema);
  const out: SamplerProblem[] = [];
  // An unknown key first: it is usually a misspelling of the key reported missing.
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"),
  );
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const near = closest(key, known);
        out.push({
          kind: "params",
          path: [...at, ...issue.path.map(String), key],
          message: `unknown param '${key}' for sampler '${type}'`,
          hint: `${near ? `did you mean '${near}'? ` : ""}known params: ${known.join(", ")}`,
        });
      }
      continue;
    }
    const keyPath = [...at, ...issue.path.map((k) => (typeof k === "number" ? k : String(k)))];
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    out.push({
      kind: "params",
      path: keyPath,
      message: missing
        ? `sampler '${type}' needs param '${issue.path.join(".")}'`
        : `${keyPath.slice(1).join(".") || "params"} of sampler '${type}': ${issue.message}`,
      hint: missing ? `the params of '${type}' are: ${known.join(", ")}` : undefined,
    });
  }
  return out;
}

/**
 * Everything wrong with a sampler column's `sampler_type`, `params`, `conditional_params` (the
 * condition must parse; the params are the base params with the condition's merged over them)
 * and `convert_to`. Column references are checked later, against the other columns.
 *
 * @example
 * samplerProblems({ sampler_type: "category", params: { values: ["a"], weights: [1, 2] } })
 * // [{ kind: "params", path: ["params", "weights"], message: "2 weights for 1 values: ..." }]
 */
export function samplerProblems(column: {
  sampler_type: string;
  params?: unknown;
  conditional_params?: Record<string, unknown> | undefined;
  convert_to?: string | undefined;
}): SamplerProblem[] {
  const type = column.sampler_type;
  if (!isSamplerType(type)) {
    return [
      {
        kind: "unknown",
        path: ["sampler_type"],
        message: `unknown sampler '${type}'`,
        hint: suggestion(type, SAMPLER_TYPES),
      },
    ];
  }
  const base = (column.params ?? {}) as Record<string, unknown>;
  const out = paramsProblems(type, base, ["params"]);
  for (const [condition, extra] of Object.entries(column.conditional_params ?? {})) {
    try {
      parseCondition(condition);
    } catch (e) {
      if (!(e instanceof ConditionSyntaxError)) throw e;
      out.push({
        kind: "params",
        path: ["conditional_params", condition],
        message: `condition '${condition}' does not parse: ${e.message}`,
        hint:
          'write e.g. "age > 60", "tier == \'gold\' and age < 30" or "region in [\'N\', ' +
          "'S']\"",
      });
      continue;
    }
    const merged = { ...base, ...((extra ?? {}) as Record<string, unknown>) };
    // The column a sampler reads is fixed, so it is drawn first whatever the condition.
    const fixedKey =
      type === "subcategory" ? "category" : type === "timedelta" ? "reference_column_name" : "";
    if (fixedKey && typeof extra === "object" && extra !== null && fixedKey in extra) {
      out.push({
        kind: "params",
        path: ["conditional_params", condition, fixedKey],
        message: `conditional params cannot change '${fixedKey}' of a ${type} sampler`,
        hint: `set '${fixedKey}' under params only`,
      });
    }
    for (const p of paramsProblems(type, merged, ["conditional_params", condition])) {
      out.push({ ...p, message: `${p.message} (params for '${condition}')` });
    }
  }
  if (column.convert_to !== undefined) {
    const problem = convertProblem(type, column.convert_to);
    if (problem) out.push({ kind: "unknown", path: ["convert_to"], message: problem });
  }
  return out;
}

/**
 * A column of `type: sampler` (NeMo Data Designer's sampler column): its values are drawn, not
 * generated, from `sampler_type` with `params`; `conditional_params` maps a condition over other
 * sampler columns to params merged over `params` for the records where it holds (the first that
 * holds wins); `convert_to` is `int`, `float`, `str` or, for datetimes, a strftime format.
 * Other keys (`drop`, `skip_when`, ...) pass through for the columns builder.
 *
 * @example
 * samplerColumnSchema.parse({
 *   name: "age", type: "sampler", sampler_type: "gaussian",
 *   params: { mean: 40, stddev: 12 }, convert_to: "int",
 *   conditional_params: { "tier == 'senior'": { mean: 70, stddev: 6 } },
 * });
 */
export const samplerColumnSchema = z
  .looseObject({
    name: z.string().min(1).describe("The column's name"),
    type: z.literal("sampler"),
    sampler_type: z.string().describe(`One of: ${SAMPLER_TYPES.join(", ")}`),
    params: z.record(z.string(), z.unknown()).default({}).describe("The sampler's params"),
    conditional_params: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .default({})
      .describe('Condition (e.g. "age > 60") to params merged over `params` where it holds'),
    convert_to: z
      .string()
      .optional()
      .describe("int, float, str, or a strftime format for datetimes"),
  })
  .superRefine((column, ctx) => {
    for (const p of samplerProblems(column)) {
      ctx.addIssue({
        code: "custom",
        path: [...p.path],
        message: p.hint ? `${p.message}; ${p.hint}` : p.message,
      });
    }
  });

/**
 * A parsed sampler column.
 *
 * @example
 * const col: SamplerColumn = samplerColumnSchema.parse(raw);
 */
export type SamplerColumn = z.output<typeof samplerColumnSchema>;
