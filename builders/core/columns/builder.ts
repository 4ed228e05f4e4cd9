import { join } from "node:path";
import {
  ConfigError,
  DRAW_KEY,
  GenerationDataBuilder,
  type GenerationTask,
  type InputBatch,
  Random,
  type Row,
  registerDataBuilder,
  suggestion,
  type Task,
  TransformationDataBuilder,
  z,
} from "digit-sdg";
import type {
  DataBuilder,
  DataBuilderClass,
  PreviewInit,
  PreviewResult,
} from "../../../src/builders/databuilder.js";
import { derivedFrom, positionOf } from "../../../src/config/source-map.js";
import type { Registry } from "../../../src/registry/registry.js";
import type { DataloaderState } from "../../../src/stores/dataloader.js";
import { replaceJsonl } from "../../../src/stores/formats/jsonl.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { NoTelemetry } from "../../../src/telemetry/telemetry.js";
import { toolsSectionSchema } from "../../../src/tools/config.js";
import { TaskToolSets } from "../../../src/tools/tool-sets.js";
import { rowDrawKey } from "../../../src/util/draw-key.js";
import { assertInsideOutput } from "../../../src/util/output-containment.js";
import { planColumns } from "./column-plan.js";
import type { RejectedRecord } from "./record.js";
import { committedBound, positionIndex, REJECT_INDEX, trimUncommittedRejects } from "./rejects.js";
import {
  applyProcessors,
  type ColumnsRuntime,
  inputIndex,
  makeRecords,
  prepareRuntime,
} from "./runtime.js";
import { SAMPLER_PARAMS, SAMPLER_TYPES, samplerColumnSchema } from "./sampling/index.js";
import {
  columnsTaskShape,
  commonColumnShape,
  NON_SAMPLER_COLUMNS,
  processorSchema,
} from "./schema.js";
import { type ColumnTools, checkColumnTools, columnTools } from "./tools.js";

/** The record index a builder input row draws by (a field that never reaches a record). */
const RECORD_INDEX = "__record_index";

const modelList = z.array(z.looseObject({ name: z.string().min(1), type: z.string().min(1) }));

/** Builder YAML keys of core/columns. */
const columnsConfigSchema = z.object({
  models: modelList
    .default([])
    .describe(
      "LM provider blocks every task's columns may name as `model` (tasks may add their own)",
    ),
  tools: toolsSectionSchema
    .optional()
    .describe("Tools every task's LLM columns may call (tasks may add their own; docs/tools.md)"),
});

/**
 * The block each of a task's own model names stands for: `<model>@<task>` (tasks of one builder
 * may define a model name differently), or the builder's model of that name when the settings are
 * the same. Names the task does not define (builder models and blocks) stand for themselves.
 *
 * @example
 * taskModelBlocks({ models: [] }, { task_name: "a/b", models: [{ name: "w", type: "mock" }] }) // Map { "w" => "w@a.b" }
 */
export function taskModelBlocks(config: Row, spec: Row): Map<string, string> {
  const builderModels = new Map(
    ((config.models as Row[] | undefined) ?? []).map((m) => [String(m.name), m]),
  );
  const out = new Map<string, string>();
  for (const m of (spec.models as Row[] | undefined) ?? []) {
    const name = String(m.name);
    if (out.has(name)) {
      throw new ConfigError(
        `model '${name}' is defined twice in task '${String(spec.task_name)}'`,
        {
          ...positionOf(m, "name"),
          hint: "give one of them another name",
        },
      );
    }
    const shared = builderModels.get(name);
    const same = shared !== undefined && JSON.stringify(shared) === JSON.stringify(m);
    out.set(name, same ? name : `${name}@${String(spec.task_name).replaceAll("/", ".")}`);
  }
  return out;
}

/** The `models:` of the builder and of its tasks as blocks (see `taskModelBlocks`). */
function modelBlocks(config: Row, tasks: readonly Row[], file: string): Row[] {
  const blockNames = new Set(
    ((config.blocks as Row[] | undefined) ?? []).map((b) => String(b.name)),
  );
  const out = new Map<string, Row>();
  for (const m of (config.models as Row[] | undefined) ?? []) {
    const name = String(m.name);
    if (blockNames.has(name) || out.has(name)) {
      throw new ConfigError(
        `model '${name}' is defined twice in the builder (as a model or block)`,
        {
          ...(positionOf(m, "name") ?? { file }),
          hint: "give the model another name",
        },
      );
    }
    out.set(name, m);
  }
  for (const spec of tasks) {
    const names = taskModelBlocks(config, spec);
    for (const m of (spec.models as Row[] | undefined) ?? []) {
      const block = names.get(String(m.name))!;
      if (block === m.name) continue;
      out.set(block, derivedFrom({ ...m, name: block }, m));
    }
  }
  return [...out.values()];
}

/** Plan-time checks of one task: its columns, and that every model a column names exists. */
async function checkColumnsTask(
  spec: Row,
  file: string | undefined,
  config: Row,
  registry?: Registry,
): Promise<void> {
  const plan = planColumns(spec, file, {
    transformation: spec.data != null,
    inputFields: Array.isArray(spec.data)
      ? [...new Set((spec.data as Row[]).flatMap((r) => Object.keys(r)))]
      : undefined,
  });
  const blocks = ((config.blocks as Row[] | undefined) ?? []).map((b) => String(b.name));
  const own = taskModelBlocks(config, spec);
  (spec.columns as Row[]).forEach((raw) => {
    const c = plan.columns.find((x) => x.name === raw.name)!;
    if ("model" in c && !blocks.includes(own.get(c.model) ?? c.model)) {
      throw new ConfigError(`column '${c.name}' names model '${c.model}', which is not defined`, {
        file,
        ...positionOf(raw, "model"),
        hint: `add it under 'models:' in the task or builder; ${suggestion(c.model, [...own.keys(), ...blocks.filter((b) => !b.includes("@"))])}`,
      });
    }
  });
  // Last: it loads the task's tools (MCP servers are started and listed).
  await checkColumnTools(plan, spec, file, config, registry);
}

/**
 * The root of a task's draws: the run's seed (through the builder's random stream), the task and
 * its runner_config seed. `digit preview` computes the same key, so it shows what a run makes.
 */
function seedKeyOf(builderRng: Random, taskName: string, runnerSeed: unknown): string {
  const salt = Math.floor(builderRng.derive("core/columns").next() * 2 ** 32).toString(16);
  return `${salt}:${taskName}:${String(runnerSeed ?? "")}`;
}

/** `digit preview` of a core/columns task: its first records, made in memory. */
async function previewColumns(init: PreviewInit): Promise<PreviewResult> {
  const taskName = String(init.spec.task_name);
  const transformation = init.spec.data != null;
  const runnerSeed = (init.spec.runner_config as Row | undefined)?.seed;
  const seedKey = seedKeyOf(
    new Random(init.seed).derive(`builder:${init.builderName}`),
    taskName,
    runnerSeed,
  );
  // Tool columns call their tools here too (MCP servers are started); nothing is written.
  const createBlock = init.createBlock;
  const toolSets = createBlock
    ? new TaskToolSets({
        logger: silentLogger,
        telemetry: new NoTelemetry(),
        observer: undefined,
        createBlock,
        registry: init.registry,
      })
    : undefined;
  try {
    const tools = toolSets
      ? await columnTools(
          planColumns(init.spec, init.file, { transformation, inputFields: undefined }),
          init.spec,
          init.file,
          init.config,
          toolSets,
          taskName,
        )
      : undefined;
    return await previewRecords(init, taskName, transformation, seedKey, tools);
  } finally {
    await toolSets?.close();
  }
}

/** The preview's records, made with the task's tools (if its columns call any). */
async function previewRecords(
  init: PreviewInit,
  taskName: string,
  transformation: boolean,
  seedKey: string,
  tools: Map<string, ColumnTools> | undefined,
): Promise<PreviewResult> {
  const rt = prepareRuntime({
    spec: init.spec,
    file: init.file,
    taskName,
    seedKey,
    blocks: init.blocks,
    modelBlocks: taskModelBlocks(init.config, init.spec),
    seeds: init.seeds,
    transformation,
    tools,
  });
  const items = transformation
    ? init.inputs.slice(0, init.count).map((input, index) => ({
        index,
        input,
        drawKey: `${seedKey}:in:${index}`,
      }))
    : Array.from({ length: init.count }, (_, i) => ({
        index: i,
        input: {},
        drawKey: `${seedKey}:${i}`,
      }));
  const { records, rejected } = await makeRecords(rt, items);
  return {
    records,
    dropped: [...rt.dropped],
    rejected: rejected.map((r) => ({
      reason: `column '${r.column}': ${r.reason}`,
      record: withoutDrawKey(r.values),
    })),
  };
}

/** `digit describe core/columns`: the keys of each column type, sampler and processor. */
function columnSections(): { title: string; shape: z.ZodRawShape }[] {
  const common = new Set(Object.keys(commonColumnShape));
  const own = (shape: z.ZodRawShape) =>
    Object.fromEntries(Object.entries(shape).filter(([k]) => !common.has(k) || k === "type"));
  return [
    { title: "keys every column takes", shape: commonColumnShape },
    {
      title: "column type 'sampler'",
      shape: own((samplerColumnSchema as unknown as z.ZodObject).shape),
    },
    ...SAMPLER_TYPES.map((t) => ({
      title: `params of sampler '${t}'`,
      shape: (SAMPLER_PARAMS[t] as unknown as z.ZodObject).shape,
    })),
    ...Object.entries(NON_SAMPLER_COLUMNS).map(([type, schema]) => ({
      title: `column type '${type}'`,
      shape: own(schema.shape),
    })),
    ...processorSchema.options.map((o) => ({
      title: `processor '${String(o.shape.type.value)}'`,
      shape: o.shape,
    })),
  ];
}

/** The parts both builder classes share: per-task runtimes, rejects, final outputs. */
class ColumnsCore {
  readonly runtimes = new Map<string, ColumnsRuntime>();
  /** The tools of tasks whose LLM columns call tools. */
  private readonly toolSets: TaskToolSets;

  constructor(private readonly builder: DataBuilder) {
    this.toolSets = new TaskToolSets(builder);
  }

  /**
   * Prepare every task's runtime (their columns were checked at plan time); tasks whose columns
   * call tools get them built now (loaders, engines, enrichments).
   */
  async setup(transformation: boolean): Promise<void> {
    for (const task of this.builder.tasks) {
      const seeds = transformation ? [] : await (task as GenerationTask).seedExamples();
      const seedKey = seedKeyOf(this.builder.rng, task.name, task.runnerConfig.seed);
      const plan = planColumns(task.spec, task.file, {
        transformation,
        inputFields: undefined,
      });
      const tools = await columnTools(
        plan,
        task.spec,
        task.file,
        this.builder.config,
        this.toolSets,
        task.name,
      );
      this.runtimes.set(
        task.name,
        prepareRuntime({
          tools,
          spec: task.spec,
          file: task.file,
          taskName: task.name,
          seedKey,
          blocks: this.builder.blocks,
          modelBlocks: taskModelBlocks(this.builder.config, task.spec),
          seeds,
          transformation,
        }),
      );
      if (task.opened && task.resumed)
        await trimUncommittedRejects(
          task,
          this.runtimes.get(task.name)!.declared,
          committedBound(task),
          this.builder.logger,
        );
    }
  }

  /**
   * Make a batch's records; refused ones go to the task's blocks/<column>.jsonl with the reason.
   */
  async make(
    batch: Row[],
    item: (row: Row) => { index: number; input: Row; drawKey: string },
  ): Promise<Row[]> {
    const byTask = new Map<string, Row[]>();
    for (const r of batch)
      byTask.set(String(r.task_name), [...(byTask.get(String(r.task_name)) ?? []), r]);
    const parts = await Promise.all(
      [...byTask].map(async ([name, rows]) => {
        const rt = this.runtimes.get(name);
        if (!rt) return [];
        const { records, rejected } = await makeRecords(rt, rows.map(item));
        if (rejected.length) await this.reject(name, rejected);
        return records.map((r) => ({ ...r, task_name: name, is_seed: false }));
      }),
    );
    return parts.flat();
  }

  /**
   * Refused records to blocks/<column>.jsonl, counted as rejected by that column; each carries
   * its record index, which tells on resume whether its batch was committed.
   */
  private async reject(taskName: string, rejected: RejectedRecord[]): Promise<void> {
    // A failed request's refusal was counted by its model: written here, counted once.
    for (const counted of [false, true]) {
      const byColumn = new Map<string, Row[]>();
      for (const r of rejected) {
        if ((r.countedBy !== undefined) !== counted) continue;
        const row: Row = {
          task_name: taskName,
          ...withoutDrawKey(r.values),
          block_name: r.column,
          reason: r.reason,
          [REJECT_INDEX]: r.index,
        };
        byColumn.set(r.column, [...(byColumn.get(r.column) ?? []), row]);
      }
      for (const [column, rows] of byColumn)
        await this.builder.recordRejects(column, rows, { counted });
    }
    const last = rejected[rejected.length - 1]!;
    (this.builder as unknown as { lastUnusable: { reply: string; reason: string } }).lastUnusable =
      {
        reply: JSON.stringify(withoutDrawKey(last.values)).slice(0, 300),
        reason: `column '${last.column}': ${last.reason}`,
      };
  }

  /** Release the tasks' tool engines, their LMs and MCP connections. */
  async close(): Promise<void> {
    await this.toolSets.close();
  }

  /**
   * Final records without dropped columns; processors' outputs in <task>/processors/<name>.jsonl.
   */
  async finalize(task: Task, records: Row[]): Promise<Row[]> {
    const rt = this.runtimes.get(task.name);
    if (!rt) return records;
    const { records: kept, outputs } = applyProcessors(rt, records, task.name);
    for (const [name, rows] of outputs) {
      const file = join(task.dir, "processors", `${name}.jsonl`);
      await assertInsideOutput(task.outputDir, file);
      await replaceJsonl(file, rows);
    }
    return kept;
  }
}

function withoutDrawKey(values: Row): Row {
  const { [DRAW_KEY]: _k, task_name: _t, ...rest } = values;
  return rest;
}

/**
 * core/columns in transformation mode (a task with `data:`): every input record goes through
 * the columns once, its fields available to every template. Registered with the generating
 * class; the engine picks it for tasks with `data:`.
 *
 * @example
 * # task.yaml
 * data_builder: core/columns
 * data: { type: default, data_path: reviews.jsonl }
 * columns:
 *   - { name: sentiment, type: llm_text, model: writer, prompt: "Sentiment of: {{ review }}" }
 */
export class ColumnsTransformBuilder extends TransformationDataBuilder {
  static override taskSchema = z.object(columnsTaskShape);
  static override configSchema = columnsConfigSchema;
  static override extraBlocks = modelBlocks;
  static override checkTask = checkColumnsTask;
  static override preview = previewColumns;
  private readonly core = new ColumnsCore(this);

  override async setup(): Promise<void> {
    await this.core.setup(true);
  }

  /** Each input row draws by its place in the input (see `positionIndex`). */
  override instantiateInput(_task: Task, row: Row, position?: DataloaderState): Row {
    return position ? { ...row, [RECORD_INDEX]: positionIndex(position) } : row;
  }

  override async close(): Promise<void> {
    await this.core.close();
    await super.close();
  }

  async call(batch: Row[]): Promise<Row[]> {
    return this.core.make(batch, (row) => {
      const { task_name: _t, [RECORD_INDEX]: at, ...input } = row;
      const index = typeof at === "number" ? at : inputIndex(row);
      return {
        index,
        input,
        drawKey: `${this.core.runtimes.get(String(row.task_name))?.seedKey ?? ""}:in:${index}`,
      };
    });
  }

  override finalize(task: Task, records: Row[]): Promise<Row[]> {
    return this.core.finalize(task, records);
  }
}

/**
 * The declarative column builder (NeMo Data Designer's model, in task YAML): a task lists
 * `columns:` — sampled values, templates, LLM text, code, JSON and judges, validations, seed
 * fields — that read each other through templates; records are made cell by cell as their
 * inputs exist, `num_outputs_to_generate` of them (or one per input record with `data:`).
 * Sampled values depend only on `--seed`, the task and the record's index, so they repeat on
 * resume and rerun. See docs/builders/core-columns.md.
 *
 * @example
 * # task.yaml
 * task_name: my/support
 * data_builder: core/columns
 * models: [{ name: writer, type: openai, model_id_or_path: gpt-4o-mini }]
 * columns:
 *   - { name: topic, type: sampler, sampler_type: category, params: { values: [billing, shipping] } }
 *   - { name: question, type: llm_text, model: writer, prompt: "Ask a {{ topic }} question." }
 */
@registerDataBuilder("core/columns")
export class ColumnsBuilder extends GenerationDataBuilder {
  static override taskSchema = z.object(columnsTaskShape);
  static override configSchema = columnsConfigSchema;
  static override transformationVariant: DataBuilderClass | undefined =
    ColumnsTransformBuilder as unknown as DataBuilderClass;
  static override extraBlocks = modelBlocks;
  static override checkTask = checkColumnsTask;
  static override preview = previewColumns;
  static override describeSections = columnSections;
  private readonly core = new ColumnsCore(this);
  /** The next record index of each task (from its checkpoint on resume). */
  private readonly nextIndex = new Map<string, number>();

  override async setup(): Promise<void> {
    await this.core.setup(false);
  }

  override async close(): Promise<void> {
    await this.core.close();
    await super.close();
  }

  /**
   * `seed_batch_size` new records, numbered on from the last committed batch: the checkpoint's
   * `row_index` is the next record index, so a resumed run makes the records a killed run lost
   * with the same indices (and so the same sampled values).
   */
  override async nextBatch(task: GenerationTask): Promise<InputBatch> {
    const start = this.nextIndex.get(task.name) ?? task.checkpoint.row_index;
    const n = Math.max(1, Math.min(task.seedBatchSize, task.target));
    this.nextIndex.set(task.name, start + n);
    const key = this.core.runtimes.get(task.name)?.seedKey ?? task.name;
    const rows = Array.from({ length: n }, (_, i) => ({
      task_name: task.name,
      is_seed: false,
      [RECORD_INDEX]: start + i,
      [DRAW_KEY]: `${key}:${start + i}`,
    }));
    return { rows, position: { iter_index: task.checkpoint.iter_index, row_index: start + n } };
  }

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    return this.core.make(batch, (row) => ({
      index: Number(row[RECORD_INDEX]),
      input: {},
      drawKey: rowDrawKey(row) ?? String(row[RECORD_INDEX]),
    }));
  }

  override finalize(task: Task, records: Row[]): Promise<Row[]> {
    return this.core.finalize(task, records);
  }
}
