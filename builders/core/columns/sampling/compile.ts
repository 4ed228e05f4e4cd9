import { type Condition, conditionColumns, parseCondition } from "./condition.js";
import { SamplerParamsError, UnknownSamplerError } from "./errors.js";
import { SAMPLER_PARAMS, type SamplerParams, type SamplerType } from "./params.js";
import { loadPersonDataset, personParamsProblem } from "./person.js";
import { type SamplerColumn, samplerProblems } from "./schema.js";

/**
 * One set of params of a column: under a condition, or the base params (no condition).
 *
 * @example
 * compileColumn(column).branches.find((b) => !b.condition)!.params
 */
export interface Branch<T extends SamplerType = SamplerType> {
  condition?: Condition;
  text?: string;
  params: SamplerParams[T];
}

/**
 * A sampler column checked and ready to draw: its type, params branches and references.
 *
 * @example
 * const c: CompiledColumn = compileColumn(column); c.type;
 */
export interface CompiledColumn<T extends SamplerType = SamplerType> {
  column: SamplerColumn;
  name: string;
  type: T;
  /** Conditional branches in declaration order, then the base params last. */
  branches: Branch<T>[];
}

/**
 * The other columns a sampler column reads: a subcategory's parent, a timedelta's reference and
 * every column named in a condition of `conditional_params`. Tolerant of unchecked input (it
 * names what it can), so the columns builder may call it while building its graph.
 *
 * @example
 * samplerReferences({ name: "sub", type: "sampler", sampler_type: "subcategory",
 *   params: { category: "topic", values: { a: ["x"] } }, conditional_params: {} }) // ["topic"]
 */
export function samplerReferences(column: SamplerColumn): string[] {
  const out = new Set<string>();
  const params = (column.params ?? {}) as Record<string, unknown>;
  if (column.sampler_type === "subcategory" && typeof params.category === "string")
    out.add(params.category);
  if (column.sampler_type === "timedelta" && typeof params.reference_column_name === "string") {
    out.add(params.reference_column_name);
  }
  for (const condition of Object.keys(column.conditional_params ?? {})) {
    try {
      for (const c of conditionColumns(parseCondition(condition))) out.add(c);
    } catch {
      // A condition that does not parse is reported by the schema check, not here.
    }
  }
  out.delete(column.name);
  return [...out];
}

/**
 * Check one sampler column and parse its params (base and conditional) into their typed form;
 * throws the column's first problem as an UnknownSamplerError or SamplerParamsError.
 *
 * @example
 * const c = compileColumn(samplerColumnSchema.parse({ name: "n", type: "sampler",
 *   sampler_type: "poisson", params: { mean: 3 } }));
 * c.branches[0].params // { mean: 3 }
 */
export function compileColumn(column: SamplerColumn): CompiledColumn {
  const problem = samplerProblems(column)[0];
  if (problem) {
    const Err = problem.kind === "unknown" ? UnknownSamplerError : SamplerParamsError;
    throw new Err(column.name, problem.path, `column '${column.name}': ${problem.message}`, {
      hint: problem.hint,
    });
  }
  const type = column.sampler_type as SamplerType;
  const schema = SAMPLER_PARAMS[type];
  const base = column.params as Record<string, unknown>;
  const branches: Branch[] = Object.entries(column.conditional_params).map(([text, extra]) => ({
    text,
    condition: parseCondition(text),
    params: schema.parse({ ...base, ...extra }) as SamplerParams[SamplerType],
  }));
  branches.push({ params: schema.parse(base) as SamplerParams[SamplerType] });
  const compiled: CompiledColumn = { column, name: column.name, type, branches };
  if (type === "person") {
    for (const b of branches) {
      const p = b.params as SamplerParams["person"];
      const at = b.text === undefined ? ["params"] : ["conditional_params", b.text];
      const data = loadPersonDataset(p.locale);
      if (typeof data === "string")
        throw new SamplerParamsError(
          column.name,
          [...at, "locale"],
          `column '${column.name}': ${data}`,
        );
      const bad = personParamsProblem(data, p);
      if (bad)
        throw new SamplerParamsError(
          column.name,
          [...at, "city"],
          `column '${column.name}': ${bad}`,
        );
    }
  }
  return compiled;
}
