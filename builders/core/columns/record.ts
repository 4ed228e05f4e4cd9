import { type LMProvider, type Row, renderTemplate } from "digit-sdg";
import { isDigitError } from "../../../src/errors.js";
import type { ColumnPlan } from "./column-plan.js";
import { type CellOutcome, runLlmCell } from "./llm-cells.js";
import type { Column, ExpressionColumn } from "./schema.js";
import type { ColumnTools } from "./tools.js";
import type { ValidationResult } from "./validators.js";

/** Everything a record's cells need, fixed for a task. */
export interface RecordContext {
  plan: ColumnPlan;
  taskName: string;
  file?: string | undefined;
  /** The model block each LLM column names. */
  models: ReadonlyMap<string, LMProvider>;
  /** The sampled values of record `index` (every sampler column). */
  sample: (index: number) => Record<string, unknown>;
  /** The seed record of record `index` (for `seed` columns). */
  seedRow: (index: number) => Row | undefined;
  /** The check of each validation column. */
  checks: ReadonlyMap<string, (record: Record<string, unknown>) => ValidationResult>;
  /** The tools of each LLM column with `tools:` (filled when the builder sets up). */
  tools: ReadonlyMap<string, ColumnTools>;
  signal?: AbortSignal | undefined;
}

/** A record made: its values (every column, dropped ones included) and the cells skipped. */
export interface MadeRecord {
  values: Row;
  skipped: ReadonlySet<string>;
}

/** A record that cannot be kept: the column that refused it, why, its values so far and index. */
export interface RejectedRecord {
  column: string;
  reason: string;
  values: Row;
  index: number;
  /** The block that already counted this refusal (a model whose request failed), if any. */
  countedBy?: string | undefined;
}

/**
 * Make one record, cell by cell: every column starts as soon as the columns it reads have values,
 * so a record's LLM cells queue at their model's limiter while other records' cells still run.
 * A cell whose `skip_when` holds, or that reads a skipped cell, is null and skipped. The first
 * cell that refuses the record (a failed request, a reply that never fit its schema, a failed
 * `filter: true` validation, a template that fails on this record) stops its remaining cells.
 *
 * @example
 * const out = await makeRecord(ctx, 17, {}, "task:17");
 */
export async function makeRecord(
  ctx: RecordContext,
  index: number,
  input: Row,
  drawKey: string,
): Promise<{ made: MadeRecord } | { rejected: RejectedRecord }> {
  const values: Row = { ...input };
  const skipped = new Set<string>();
  const sampled = ctx.plan.sampling.columns.length > 0 ? ctx.sample(index) : {};
  let rejected: RejectedRecord | undefined;
  const done = new Map<string, Promise<void>>();
  const run = async (c: Column): Promise<void> => {
    const deps = ctx.plan.deps.get(c.name) ?? [];
    await Promise.all(deps.map((d) => done.get(d)));
    if (rejected) return;
    try {
      if (
        deps.some((d) => skipped.has(d)) ||
        (c.skip_when !== undefined &&
          truthy(
            renderTemplate(c.skip_when, values, {
              file: ctx.file,
              name: `column '${c.name}' skip_when`,
            }),
          ))
      ) {
        skipped.add(c.name);
        values[c.name] = null;
        const trace = ctx.plan.traces.get(c.name);
        if (trace) values[trace] = null;
        return;
      }
      const outcome = await cell(ctx, c, values, sampled, index, drawKey);
      const trace = ctx.plan.traces.get(c.name);
      if (trace) values[trace] = outcome.trace ?? [];
      if ("rejected" in outcome)
        rejected ??= {
          column: c.name,
          reason: outcome.rejected,
          values,
          index,
          countedBy: outcome.countedBy,
        };
      else values[c.name] = outcome.value;
    } catch (e) {
      // A template that fails on this record's values refuses the record, not the run.
      if (!isDigitError(e)) throw e;
      rejected ??= { column: c.name, reason: (e as Error).message, values, index };
    }
  };
  // Columns come in dependency order, so every promise a column awaits already exists.
  for (const c of ctx.plan.columns) done.set(c.name, run(c));
  await Promise.all(done.values());
  return rejected ? { rejected } : { made: { values, skipped } };
}

/** One cell's value. */
async function cell(
  ctx: RecordContext,
  c: Column,
  values: Row,
  sampled: Record<string, unknown>,
  index: number,
  drawKey: string,
): Promise<CellOutcome> {
  switch (c.type) {
    case "sampler":
      return { value: sampled[c.name] ?? null };
    case "seed": {
      const row = ctx.seedRow(index);
      return { value: row?.[c.field ?? c.name] ?? null };
    }
    case "expression":
      return expression(
        c,
        renderTemplate(c.expr, values, { file: ctx.file, name: `column '${c.name}' expr` }),
      );
    case "validation": {
      const result = ctx.checks.get(c.name)!(values);
      if (!result.is_valid && c.filter) return { rejected: result.errors.join("; ") };
      return { value: result };
    }
    default:
      return runLlmCell(c, {
        model: ctx.models.get(c.model)!,
        variables: values,
        drawKey,
        taskName: ctx.taskName,
        file: ctx.file,
        signal: ctx.signal,
        tools: ctx.tools.get(c.name),
      });
  }
}

/** The rendered text of an expression as its `dtype`; text that is not one refuses the record. */
function expression(c: ExpressionColumn, text: string): CellOutcome {
  const t = text.trim();
  switch (c.dtype) {
    case "str":
      return { value: text };
    case "int": {
      const n = Number(t);
      return t !== "" && Number.isFinite(n)
        ? { value: Math.trunc(n) }
        : { rejected: `expression gave ${JSON.stringify(t)}, not an integer` };
    }
    case "float": {
      const n = Number(t);
      return t !== "" && Number.isFinite(n)
        ? { value: n }
        : { rejected: `expression gave ${JSON.stringify(t)}, not a number` };
    }
    case "bool":
      return { value: truthy(t) };
    case "json":
      try {
        return { value: JSON.parse(t) as unknown };
      } catch {
        return { rejected: `expression gave ${JSON.stringify(t.slice(0, 100))}, not JSON` };
      }
  }
}

const FALSY = new Set(["", "false", "0", "none", "null", "no", "undefined"]);

/**
 * Whether a rendered condition holds: anything but empty, false, 0, none, null or no.
 *
 * @example
 * truthy(" True ") // true
 */
export function truthy(text: string): boolean {
  return !FALSY.has(text.trim().toLowerCase());
}
