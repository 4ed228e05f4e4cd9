import { Ajv } from "ajv";
import { ConfigError, type DigitError, type ErrorLocation, type Row, suggestion } from "digit-sdg";
import { positionAtPath } from "../../../src/config/source-map.js";
import { parseWith } from "../../../src/config/zod-errors.js";
import { isDigitError } from "../../../src/errors.js";
import { checkTemplate } from "../../../src/templates/template.js";
import { templateReferences } from "./references.js";
import {
  createRecordSampler,
  type SamplerColumn,
  type SamplingSpec,
  samplerColumnSchema,
  samplerReferences,
} from "./sampling/index.js";
import {
  COLUMN_TYPES,
  type Column,
  commonColumnShape,
  NON_SAMPLER_COLUMNS,
  type Processor,
  processorSchema,
  traceColumnName,
} from "./schema.js";
import { validationCheck } from "./validators.js";

/** A task's columns, checked and ordered. */
export interface ColumnPlan {
  /** Every column, in an order where each comes after the columns it reads. */
  columns: Column[];
  /** The columns each column reads (other columns only). */
  deps: ReadonlyMap<string, readonly string[]>;
  /** The sampler library's part: sampler columns plus constraints, diversity and correlation. */
  sampling: Omit<SamplingSpec, "seedKey">;
  processors: Processor[];
  /** The trace side column of each LLM column with `tools:` (column → `<column>__trace`). */
  traces: ReadonlyMap<string, string>;
}

/** Record fields the engine writes itself. */
const RESERVED = new Set(["task_name", "is_seed", "id", "draw_key"]);

/** Where a column's config came from, for errors found after parsing. */
function at(
  spec: Row,
  index: number,
  ...path: (string | number)[]
): { file?: string | undefined; line?: number | undefined } {
  const pos = positionAtPath(spec, ["columns", index, ...path]);
  return pos ? { file: pos.file, line: pos.line } : {};
}

/**
 * Parse and check a task's `columns:` before anything runs: each column against its type's schema,
 * its templates through the template sandbox, its references (unknown names and cycles), its JSON
 * Schemas; then order the columns so each comes after what it reads. Every error names the
 * task file and line and, for a wrong name, the closest known one.
 *
 * `inputFields` are fields every record has before its columns run (transformation mode); when
 * undefined in that mode (input read from a file), unknown references are taken as input fields.
 *
 * @example
 * const plan = planColumns(task.spec, task.file, { transformation: false });
 */
export function planColumns(
  spec: Row,
  file: string | undefined,
  mode: { transformation: boolean; inputFields?: readonly string[] | undefined },
): ColumnPlan {
  const raw = (spec.columns as Row[] | undefined) ?? [];
  const columns: Column[] = [];
  const seen = new Map<string, number>();
  raw.forEach((entry, i) => {
    const where = { file, ...at(spec, i) };
    const type = String(entry.type);
    if (!(COLUMN_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError(`column '${String(entry.name)}' has unknown type '${type}'`, {
        ...where,
        ...at(spec, i, "type"),
        hint: suggestion(type, COLUMN_TYPES),
      });
    }
    const name = String(entry.name);
    if (RESERVED.has(name)) {
      throw new ConfigError(`column '${name}' has the name of a field digit gives every record`, {
        ...where,
        hint: `rename it; ${[...RESERVED].join(", ")} are taken`,
      });
    }
    if (seen.has(name))
      throw new ConfigError(`two columns are named '${name}'`, {
        ...where,
        hint: "give every column its own name",
      });
    seen.set(name, i);
    columns.push(
      type === "sampler"
        ? parseSampler(entry, i, spec, file)
        : (parseWith(
            NON_SAMPLER_COLUMNS[type as keyof typeof NON_SAMPLER_COLUMNS],
            entry,
            `column '${name}'`,
            file,
          ) as Column),
    );
  });

  const names = columns.map((c) => c.name);
  const traces = new Map<string, string>();
  const traceOwner = new Map<string, string>();
  columns.forEach((c) => {
    if (!("tools" in c) || c.tools === undefined) return;
    const trace = traceColumnName(c.name);
    if (seen.has(trace))
      throw new ConfigError(
        `column '${trace}' has the name of the tool trace of column '${c.name}'`,
        { file, ...at(spec, seen.get(trace)!), hint: "rename it" },
      );
    traces.set(c.name, trace);
    traceOwner.set(trace, c.name);
  });
  const inputs = new Set(mode.inputFields ?? []);
  const deps = new Map<string, string[]>();
  columns.forEach((c, i) => {
    const reads = new Set<string>();
    for (const [key, template] of templatesOf(c)) {
      checkAt(template, `column '${c.name}' ${key}`, { file, ...at(spec, i, key) });
      for (const ref of templateReferences(template)) {
        if (seen.has(ref)) reads.add(ref);
        else if (traceOwner.has(ref)) reads.add(traceOwner.get(ref)!);
        else if (!inputs.has(ref) && !(mode.transformation && mode.inputFields === undefined)) {
          throw new ConfigError(
            `column '${c.name}' ${key} reads '${ref}', which is no column${mode.transformation ? " or input field" : ""}`,
            {
              file,
              ...at(spec, i, key),
              hint: suggestion(ref, [
                ...names.filter((n) => n !== c.name),
                ...traceOwner.keys(),
                ...inputs,
              ]),
            },
          );
        }
      }
    }
    for (const ref of otherReferences(c)) {
      if (!seen.has(ref))
        throw new ConfigError(`column '${c.name}' reads column '${ref}', which does not exist`, {
          file,
          ...at(spec, i),
          hint: suggestion(ref, names),
        });
      reads.add(ref);
    }
    if (reads.has(c.name))
      throw new ConfigError(`column '${c.name}' reads itself`, {
        file,
        ...at(spec, i),
        hint: "a column can only read other columns",
      });
    deps.set(c.name, [...reads]);
    checkSchemas(c, file, at(spec, i));
    if (c.type === "validation") validationCheck(c, { file, ...at(spec, i) });
  });

  const order = topologicalOrder(names, deps, (cycle) => {
    const first = seen.get(cycle[0]!)!;
    return new ConfigError(`columns read each other in a cycle: ${cycle.join(" → ")}`, {
      file,
      ...at(spec, first),
      hint: `remove one of these references so that '${cycle[0]}' does not depend on itself`,
    });
  });
  const byName = new Map(columns.map((c) => [c.name, c]));
  const processors = ((spec.processors as Row[] | undefined) ?? []).map((p, i) => {
    const parsed = parseWith(processorSchema, p, `processor ${i + 1}`, file) as Processor;
    if (parsed.type === "drop_columns") {
      for (const col of parsed.columns) {
        if (!byName.has(col) && !traceOwner.has(col))
          throw new ConfigError(`processor drop_columns names '${col}', which is no column`, {
            file,
            ...positionAtPath(spec, ["processors", i, "columns"]),
            hint: suggestion(col, [...names, ...traceOwner.keys()]),
          });
      }
    } else {
      for (const t of templateStrings(parsed.template))
        checkAt(t, `processor '${parsed.name}'`, {
          file,
          ...positionAtPath(spec, ["processors", i]),
        });
    }
    return parsed;
  });
  const samplerColumns = columns
    .filter((c) => c.type === "sampler")
    .map((c) => c.sampler as SamplerColumn);
  const samplingPart: Omit<SamplingSpec, "seedKey"> = {
    columns: samplerColumns,
    constraints: (spec.constraints as unknown[] | undefined) ?? [],
    diversity_strategy: spec.diversity_strategy as string | undefined,
    diversity_columns: spec.diversity_columns as string[] | undefined,
    correlation_rules:
      (spec.correlation_rules as Array<[string, string, number]> | undefined) ?? [],
  };
  // The sampler library checks params, constraints and rules now (it throws on a bad one).
  if (samplerColumns.length > 0) {
    try {
      createRecordSampler({ ...samplingPart, seedKey: "check" })(0);
    } catch (e) {
      throw locateSamplerError(e, spec, file, seen);
    }
  }
  return {
    columns: order.map((n) => byName.get(n)!),
    deps,
    sampling: samplingPart,
    processors,
    traces,
  };
}

/** A sampler column: common keys here, the rest parsed by the sampler library's schema. */
function parseSampler(entry: Row, index: number, spec: Row, file: string | undefined): Column {
  const { drop, skip_when, type: _type, ...own } = entry;
  const common = parseWith(
    NON_SAMPLER_COLUMNS.seed.pick({ name: true, drop: true, skip_when: true }),
    { name: entry.name, drop, skip_when },
    `column '${String(entry.name)}'`,
    file,
  );
  const parsed = samplerColumnSchema.safeParse({ ...own, type: "sampler" });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    throw new ConfigError(
      `column '${String(entry.name)}': ${path.length ? `'${path.join(".")}' ` : ""}${issue.message}`,
      { file, ...at(spec, index, ...path) },
    );
  }
  return {
    name: common.name,
    type: "sampler",
    drop: common.drop,
    skip_when: common.skip_when,
    sampler: parsed.data as Row,
  };
}

/** A sampler-library error with the file and line of the column (and key) it names. */
function locateSamplerError(
  e: unknown,
  spec: Row,
  file: string | undefined,
  seen: Map<string, number>,
): unknown {
  if (!isDigitError(e)) return e;
  const err = e as {
    column?: unknown;
    path?: unknown;
    at?: (w: { file?: string; line?: number }) => unknown;
  };
  if (typeof err.at !== "function") return e;
  const path = Array.isArray(err.path) ? (err.path as (string | number)[]) : [];
  // Errors of task-level settings (constraints, rules) name no column: their path starts at the
  // task.
  const index = typeof err.column === "string" ? seen.get(err.column) : undefined;
  const pos =
    err.column === ""
      ? positionAtPath(spec, path)
      : index === undefined
        ? undefined
        : positionAtPath(spec, ["columns", index, ...path]);
  return err.at({ ...(pos ?? {}), file: pos?.file ?? file });
}

/** Compile a template now; its errors name the line of the key that holds it. */
function checkAt(
  template: string,
  name: string,
  where: { file?: string | undefined; line?: number | undefined },
): void {
  try {
    checkTemplate(template, { file: where.file, name });
  } catch (e) {
    if (!isDigitError(e) || e.line !== undefined) throw e;
    const Same = e.constructor as new (message: string, where: ErrorLocation) => DigitError;
    throw new Same(e.message, { file: where.file, line: where.line, hint: e.hint, cause: e });
  }
}

/** The templates of a column, by key. */
export function templatesOf(c: Column): [string, string][] {
  const out: [string, string][] = [];
  if (c.skip_when !== undefined) out.push(["skip_when", c.skip_when]);
  if (c.type === "expression") out.push(["expr", c.expr]);
  if (
    c.type === "llm_text" ||
    c.type === "llm_code" ||
    c.type === "llm_structured" ||
    c.type === "llm_judge"
  ) {
    out.push(["prompt", c.prompt]);
    if (c.system_prompt !== undefined) out.push(["system_prompt", c.system_prompt]);
  }
  return out;
}

/** References a column makes outside templates. */
function otherReferences(c: Column): string[] {
  if (c.type === "validation") return c.target_columns;
  if (c.type === "sampler") return samplerReferences(c.sampler as SamplerColumn);
  return [];
}

/** Every string inside a nested template value (schema_transform). */
export function templateStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(templateStrings);
  if (value && typeof value === "object") return Object.values(value).flatMap(templateStrings);
  return [];
}

const ajv = new Ajv({ allErrors: false, strict: false });

/** JSON Schemas of a column must compile. */
function checkSchemas(
  c: Column,
  file: string | undefined,
  where: { file?: string | undefined; line?: number | undefined },
): void {
  const schema =
    c.type === "llm_structured"
      ? c.output_format
      : c.type === "validation" && c.validator_type === "json_schema"
        ? c.params.schema
        : undefined;
  if (
    c.type === "validation" &&
    c.validator_type === "json_schema" &&
    (schema === undefined || typeof schema !== "object")
  ) {
    throw new ConfigError(
      `column '${c.name}': a json_schema validation needs params.schema (a JSON Schema mapping)`,
      { file, ...where },
    );
  }
  if (schema === undefined) return;
  try {
    ajv.compile(schema as object);
  } catch (e) {
    throw new ConfigError(
      `column '${c.name}': the JSON Schema is not valid: ${e instanceof Error ? e.message : String(e)}`,
      { file, ...where, hint: "see https://json-schema.org/understanding-json-schema/" },
    );
  }
}

/**
 * Kahn's order of `names` under `deps` (a name after those it reads), keeping the given order
 * among independent names; a cycle is reported with `onCycle`.
 *
 * @example
 * topologicalOrder(["b", "a"], new Map([["b", ["a"]], ["a", []]]), () => new Error("cycle")) // ["a", "b"]
 */
export function topologicalOrder(
  names: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
  onCycle: (cycle: string[]) => Error,
): string[] {
  const out: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (n: string, path: string[]): void => {
    const s = state.get(n);
    if (s === "done") return;
    if (s === "visiting") throw onCycle([...path.slice(path.indexOf(n)), n]);
    state.set(n, "visiting");
    for (const d of deps.get(n) ?? []) visit(d, [...path, n]);
    state.set(n, "done");
    out.push(n);
  };
  for (const n of names) visit(n, []);
  return out;
}

/** The common keys, for schema descriptions. */
export const COMMON_KEYS = Object.keys(commonColumnShape);
