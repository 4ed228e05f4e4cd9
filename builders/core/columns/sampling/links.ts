import { suggestion } from "digit-sdg";
import { type CompiledColumn, samplerReferences } from "./compile.js";
import { conditionColumns } from "./condition.js";
import { type KeyPath, SamplerParamsError, SamplerReferenceError } from "./errors.js";
import type { SamplerParams } from "./params.js";

// How sampler columns read each other: reference checks and the order they are drawn in.

/**
 * The column of a settings-level error (constraints, diversity, correlation rules): none; its
 * path starts at the task (`["constraints", 2]`).
 *
 * @example
 * throw new SamplerParamsError(SETTINGS, ["diversity_columns", 0], "not a category sampler");
 */
export const SETTINGS = "";

/**
 * The error for a name that is no sampler column, with the closest one.
 *
 * @example
 * throw unknownColumn("topc", ["topic", "item"], "item", ["params", "category"], "parent");
 */
export function unknownColumn(
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

/**
 * Order the columns so each comes after the columns it reads; a cycle is an error.
 *
 * @example
 * orderColumns(compiled, new Map([["item", new Set(["topic"])]])) // topic before item
 */
export function orderColumns(
  columns: CompiledColumn[],
  edges: Map<string, Set<string>>,
): CompiledColumn[] {
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

/**
 * Check what a column reads (subcategory parent, timedelta reference, condition columns) against
 * the spec's sampler columns, and add its dependency edges.
 *
 * @example
 * for (const c of compiled) checkReferences(c, byName, names, edges);
 */
export function checkReferences(
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
