import { createHash } from "node:crypto";
import {
  type Block,
  ConfigError,
  type LMProvider,
  Random,
  type Row,
  renderTemplate,
  suggestion,
} from "digit-sdg";
import { positionAtPath } from "../../../src/config/source-map.js";
import { recordId } from "../../../src/tasks/record-id.js";
import { type ColumnPlan, planColumns } from "./column-plan.js";
import { makeRecord, type RecordContext, type RejectedRecord } from "./record.js";
import { createRecordSampler } from "./sampling/index.js";
import type { Processor } from "./schema.js";
import type { ColumnTools } from "./tools.js";
import { type ValidationResult, validationCheck } from "./validators.js";

/** What a task of core/columns needs to make records, prepared once. */
export interface ColumnsRuntime {
  plan: ColumnPlan;
  ctx: RecordContext;
  /** Root of the task's draws: run seed, builder and task. */
  seedKey: string;
  /** Columns in the order the task lists them. */
  declared: string[];
  /** Columns left out of the output (`drop: true` and drop_columns processors). */
  dropped: ReadonlySet<string>;
}

/** The inputs of `prepareRuntime`. */
export interface RuntimeInit {
  spec: Row;
  file: string | undefined;
  taskName: string;
  seedKey: string;
  blocks: ReadonlyMap<string, Block>;
  /** The block each of the task's own model names stands for (see builder.ts, taskModelBlocks). */
  modelBlocks: ReadonlyMap<string, string>;
  seeds: readonly Row[];
  transformation: boolean;
  signal?: AbortSignal | undefined;
  /** The tools of the LLM columns with `tools:` (built by the builder's setup, see tools.ts). */
  tools?: ReadonlyMap<string, ColumnTools> | undefined;
}

/**
 * Plan a task's columns and bind them to its models, sampler, seeds and checks.
 *
 * @example
 * const rt = prepareRuntime({ spec, file, taskName, seedKey, blocks, seeds: [], transformation: false });
 * const out = await makeRecord(rt.ctx, 0, {}, `${rt.seedKey}:0`);
 */
export function prepareRuntime(init: RuntimeInit): ColumnsRuntime {
  const { spec, file } = init;
  const plan = planColumns(spec, file, {
    transformation: init.transformation,
    inputFields: inlineFields(spec),
  });
  const models = new Map<string, LMProvider>();
  const checks = new Map<string, (r: Record<string, unknown>) => ValidationResult>();
  (spec.columns as Row[]).forEach((raw, i) => {
    const c = plan.columns.find((x) => x.name === raw.name)!;
    const where = positionAtPath(spec, ["columns", i]) ?? { file };
    if (c.type === "validation") checks.set(c.name, validationCheck(c, where));
    if (
      c.type === "llm_text" ||
      c.type === "llm_code" ||
      c.type === "llm_structured" ||
      c.type === "llm_judge"
    ) {
      const block = init.blocks.get(init.modelBlocks.get(c.model) ?? c.model);
      if (!isLmBlock(block)) {
        const known = [...init.blocks.values()].filter(isLmBlock).map((b) => b.name);
        throw new ConfigError(
          `column '${c.name}' names model '${c.model}', which is ${block ? "not an LM provider block" : "not defined"}`,
          {
            ...positionAtPath(spec, ["columns", i, "model"]),
            hint: `add it under 'models:' in the task or builder; ${suggestion(c.model, known)}`,
          },
        );
      }
      models.set(c.model, block);
    }
  });
  if (plan.traces.size > 0 && !init.tools) {
    const [first] = plan.traces.keys();
    throw new ConfigError(`column '${first}' calls tools, but its task's tools were not built`, {
      file,
      hint: "build them first (tools.ts, columnTools) and pass them as init.tools",
    });
  }
  const seedColumns = plan.columns.filter((c) => c.type === "seed");
  if (seedColumns.length > 0 && init.seeds.length === 0) {
    throw new ConfigError(
      `task '${init.taskName}' has seed columns (${seedColumns.map((c) => c.name).join(", ")}) but no seed records`,
      { file, hint: "add seed_examples: [...] or seed_datastore: { data_path: ... } to the task" },
    );
  }
  const withReplacement =
    (spec.seed_sampling as { with_replacement?: boolean } | undefined)?.with_replacement === true;
  const sample =
    plan.sampling.columns.length > 0
      ? createRecordSampler({ ...plan.sampling, seedKey: init.seedKey })
      : () => ({});
  const ctx: RecordContext = {
    plan,
    taskName: init.taskName,
    file,
    models,
    sample,
    seedRow: seedPicker(init.seeds, init.seedKey, withReplacement),
    checks,
    tools: init.tools ?? new Map(),
    signal: init.signal,
  };
  const dropped = new Set<string>([
    ...plan.columns.filter((c) => c.drop).map((c) => c.name),
    ...plan.columns.flatMap((c) =>
      c.drop && plan.traces.has(c.name) ? [plan.traces.get(c.name)!] : [],
    ),
    ...plan.processors.flatMap((p) => (p.type === "drop_columns" ? p.columns : [])),
  ]);
  return {
    plan,
    ctx,
    seedKey: init.seedKey,
    declared: (spec.columns as Row[]).flatMap((c) => {
      const trace = plan.traces.get(String(c.name));
      return trace ? [String(c.name), trace] : [String(c.name)];
    }),
    dropped,
  };
}

/**
 * Whether a block is an LM provider. Structural, not `instanceof`: builder code may load the
 * package's front door from another copy than the engine's (e.g. dist/ beside src/).
 */
function isLmBlock(block: Block | undefined): block is LMProvider {
  return (
    block !== undefined && typeof (block as unknown as { modelId?: unknown }).modelId === "string"
  );
}

/** Field names of inline transformation input (`data:` as a list), else undefined. */
function inlineFields(spec: Row): string[] | undefined {
  if (!Array.isArray(spec.data)) return undefined;
  return [...new Set((spec.data as Row[]).flatMap((r) => Object.keys(r)))];
}

/**
 * Which seed record record `index` takes: with replacement, an independent draw per record;
 * without, the seeds in an order shuffled per pass (every seed once before any repeats). Both
 * depend only on the seed key and the index.
 *
 * @example
 * seedPicker(seeds, "run:task", false)(3)
 */
export function seedPicker(
  seeds: readonly Row[],
  seedKey: string,
  withReplacement: boolean,
): (index: number) => Row | undefined {
  if (seeds.length === 0) return () => undefined;
  if (withReplacement)
    return (index) => seeds[new Random(`${seedKey}|seed|${index}`).int(seeds.length)];
  const orders = new Map<number, number[]>();
  return (index) => {
    const pass = Math.floor(index / seeds.length);
    let order = orders.get(pass);
    if (!order) {
      order = new Random(`${seedKey}|seed-pass|${pass}`).sample(
        seeds.map((_, i) => i),
        seeds.length,
      );
      if (orders.size > 4) orders.delete(orders.keys().next().value!);
      orders.set(pass, order);
    }
    return seeds[order[index % seeds.length]!];
  };
}

/**
 * The index an input row draws by when it comes without its place in the input (the engine's
 * transformation tasks always give it, see `positionIndex`): from its content, so equal rows draw
 * alike.
 *
 * @example
 * inputIndex({ text: "hello" }) // a stable number below 2^31
 */
export function inputIndex(row: Row): number {
  const { task_name: _t, ...content } = row;
  return createHash("sha256").update(JSON.stringify(content)).digest().readUInt32LE(0) & 0x7fffffff;
}

/**
 * Make the records of a batch: every cell of every record in flight at once (models' limiters
 * decide how many requests run). Returns the records in input order and the rejected ones.
 *
 * @example
 * const { records, rejected } = await makeRecords(rt, [{ index: 0, input: {}, drawKey: "k:0" }]);
 */
export async function makeRecords(
  rt: ColumnsRuntime,
  items: readonly { index: number; input: Row; drawKey: string }[],
): Promise<{ records: Row[]; rejected: RejectedRecord[] }> {
  const results = await Promise.all(
    items.map((it) => makeRecord(rt.ctx, it.index, it.input, it.drawKey)),
  );
  const records: Row[] = [];
  const rejected: RejectedRecord[] = [];
  results.forEach((r, i) => {
    if ("rejected" in r) rejected.push(r.rejected);
    else records.push(orderFields(rt, items[i]!.input, r.made.values));
  });
  return { records, rejected };
}

/** A record's fields: input fields first, then columns in the order the task lists them. */
function orderFields(rt: ColumnsRuntime, input: Row, values: Row): Row {
  const out: Row = {};
  for (const k of Object.keys(input)) if (k !== "task_name") out[k] = values[k];
  for (const c of rt.declared) out[c] = values[c] ?? null;
  return out;
}

/**
 * Final records and the processors' outputs: `drop: true` and drop_columns columns leave the
 * records (drop_columns keeps their values, with the record id, in its side output);
 * schema_transform renders each record into its second output.
 *
 * @example
 * const { records, outputs } = applyProcessors(rt, finalRecords);
 */
export function applyProcessors(
  rt: ColumnsRuntime,
  records: readonly Row[],
  taskName: string,
): { records: Row[]; outputs: Map<string, Row[]> } {
  const outputs = new Map<string, Row[]>();
  for (const p of rt.plan.processors)
    outputs.set(
      p.name,
      records.map((r) => processorRow(p, r, taskName, rt.ctx.file)),
    );
  const kept = records.map((r) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(r)) if (!rt.dropped.has(k)) out[k] = v;
    return out;
  });
  return { records: kept, outputs };
}

function processorRow(p: Processor, record: Row, taskName: string, file: string | undefined): Row {
  const id = typeof record.id === "string" ? record.id : recordId(taskName, record);
  if (p.type === "drop_columns")
    return { id, ...Object.fromEntries(p.columns.map((c) => [c, record[c] ?? null])) };
  return renderNested(p.template, record, `processor '${p.name}'`, file) as Row;
}

/**
 * A nested template value rendered over a record: strings are templates, lists and mappings nest.
 */
function renderNested(
  value: unknown,
  record: Row,
  name: string,
  file: string | undefined,
): unknown {
  if (typeof value === "string") return renderTemplate(value, record, { file, name });
  if (Array.isArray(value)) return value.map((v) => renderNested(v, record, name, file));
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderNested(v, record, name, file)]),
    );
  return value;
}
