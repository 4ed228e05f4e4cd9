import { dirname, resolve } from "node:path";
import { z } from "zod";
import type { Block, RejectSink } from "../blocks/block.js";
import type { BuilderSpec } from "../config/schemas.js";
import { ConfigError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import type { DataloaderState } from "../stores/dataloader.js";
import type { GenerationTask, InputBatch } from "../tasks/generation-task.js";
import { appendRejects, type Task } from "../tasks/task.js";
import type { TransformationTask } from "../tasks/transformation-task.js";
import type { Logger } from "../telemetry/logger.js";
import { silentLogger } from "../telemetry/logger.js";
import type { RunObserver } from "../telemetry/observer.js";
import { NoTelemetry, type Telemetry } from "../telemetry/telemetry.js";
import { readTemplate, renderTemplate } from "../templates/template.js";
import { suggestion } from "../util/did-you-mean.js";
import { rowRandom } from "../util/draw-key.js";
import type { Row } from "../util/mapping.js";
import type { Random } from "../util/random.js";

/** What the engine gives a builder when it constructs it. */
export interface BuilderInit {
  name: string;
  /** The builder YAML after `--config-path` overrides, parsed (defaults applied). */
  config: BuilderSpec;
  /** Path of the builder YAML (templates are read relative to its folder). */
  file: string;
  blocks: Map<string, Block>;
  rng: Random;
  logger?: Logger | undefined;
  telemetry?: Telemetry | undefined;
  /** Builder options from the CLI (e.g. --num-prompt-instructions). */
  options?: Row | undefined;
  /**
   * Creates a block from a config with the run's block context (its metrics, cost, cache,
   * budget and telemetry), for blocks a builder makes besides its YAML's (e.g. tool engines' LMs).
   */
  createBlock?: ((config: Row, where: string) => Promise<Block>) | undefined;
  /**
   * The run's observer, for requests a builder sends without a block (e.g. embeddings of tool
   * engines), so they count in the run's metrics like block requests.
   */
  observer?: RunObserver | undefined;
  /** Where refused records go (the blocks' sink; absent: the tasks' `blocks/` files). */
  rejects?: RejectSink | undefined;
  /** The run's registry: where names of plugins' types (tool engines, samplers...) resolve. */
  registry?: Registry | undefined;
}

/**
 * What a builder's `preview` gets: one planned task, its builder's blocks, and the run's seed.
 *
 * @example
 * static override preview = async (init: PreviewInit): Promise<PreviewResult> =>
 *   ({ records: init.seeds.slice(0, init.count), dropped: [], rejected: [] });
 */
export interface PreviewInit {
  builderName: string;
  /** The builder's parsed config. */
  config: Row;
  spec: Row;
  file: string | undefined;
  blocks: ReadonlyMap<string, Block>;
  /** The run's `--seed` (0 when not given): a preview draws what a run with it would. */
  seed: number;
  /** The task's seed records (seed_examples / seed_datastore), read without writing anything. */
  seeds: Row[];
  /** The task's input records (transformation tasks). */
  inputs: Row[];
  count: number;
  /** Creates a block the builder's YAML does not list (a tool engine's LM); the caller closes it */
  createBlock?: ((config: Row, where: string) => Promise<Block>) | undefined;
  /** The run's registry: where names of plugins' types (tool engines, samplers...) resolve. */
  registry?: Registry | undefined;
}

/**
 * What a preview made: the records, and the fields a run would leave out of the output.
 *
 * @example
 * const result: PreviewResult = { records, dropped: ["scratch"], rejected: [] };
 */
export interface PreviewResult {
  records: Row[];
  dropped: string[];
  /** Records the builder refused, with the reason. */
  rejected: { reason: string; record: Row }[];
}

/**
 * The "how" of data generation: a registered class plus its builder YAML. The engine groups tasks
 * by `data_builder`, constructs one builder for each group and calls it with batches of input rows
 * from all its tasks; every output row must carry the `task_name` of the input it came from.
 *
 * Declare on the subclass: `configSchema` (extra builder YAML keys), `taskSchema` (extra task YAML
 * keys), `blockNames` (blocks the YAML must define), `outputFields` (keys of output records kept
 * after postprocessing), and optionally override `instantiateInput` to pick seed/input fields.
 */
export abstract class DataBuilder {
  static configSchema: z.ZodObject = z.object({});
  static taskSchema: z.ZodObject = z.object({});
  static blockNames: readonly string[] = [];
  static outputFields: readonly string[] | undefined = undefined;
  /**
   * Checks of the builder config beyond its schema (e.g. that names refer to defined blocks),
   * run while the run is planned, before any output is written. Throw a ConfigError.
   */
  static checkConfig(_config: BuilderSpec, _file: string): void {}
  /**
   * Defaults for the `runner_config` of this builder's tasks; a task's own keys win. A builder
   * that must see all its input at once (Magpie's near-duplicate search) sets a large
   * `transform_batch_size` here.
   */
  static defaultRunnerConfig: Readonly<Row> = {};
  /** Which loop runs the builder: a generation loop over seeds or one pass over input data. */
  static family: "generation" | "transformation" = "generation";
  /**
   * The class that runs this builder's tasks that give `data:` (a builder that both generates
   * and transforms, like core/columns); such tasks form a group of their own under that class.
   */
  static transformationVariant: DataBuilderClass | undefined = undefined;
  /**
   * Block configs the builder defines outside `blocks:` (e.g. core/columns' `models:` lists in
   * the builder and its tasks), added to its blocks at plan time so they are checked and created
   * like the others.
   *
   * @example
   * static override extraBlocks(config: Row, tasks: readonly Row[]) { return [...models(config), ...tasks.flatMap(models)]; }
   */
  static extraBlocks(_config: Row, _tasks: readonly Row[], _file: string): Row[] {
    return [];
  }
  abstract readonly kind: "generation" | "transformation";

  readonly name: string;
  readonly config: BuilderSpec;
  readonly file: string;
  readonly dir: string;
  readonly blocks: ReadonlyMap<string, Block>;
  readonly rng: Random;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly options: Row;
  tasks: Task[] = [];
  private readonly rejectSink: RejectSink | undefined;

  constructor(init: BuilderInit) {
    this.name = init.name;
    this.config = init.config;
    this.file = init.file;
    this.dir = dirname(init.file);
    this.blocks = init.blocks;
    this.rng = init.rng;
    this.logger = init.logger ?? silentLogger;
    this.telemetry = init.telemetry ?? new NoTelemetry();
    this.options = init.options ?? {};
    this.blockFactory = init.createBlock;
    this.observer = init.observer;
    this.rejectSink = init.rejects;
    this.registry = init.registry;
  }

  /**
   * The run's registry (absent outside a run): where a builder resolves names of plugins' types,
   * e.g. the tool engines and samplers a task's `tools:` section names.
   *
   * @example
   * const toolSets = new TaskToolSets(this); // hands this.registry to the tools it builds
   */
  readonly registry: Registry | undefined;

  /** The run's observer (absent outside a run): requests sent without a block report here. */
  readonly observer: RunObserver | undefined;

  private readonly blockFactory: BuilderInit["createBlock"];

  /**
   * Create a block the builder's YAML does not list (e.g. the LM a task's tool engine uses), with
   * the run's block context, so its requests count in the run's metrics, cost and summary like
   * the YAML's blocks. The caller closes it.
   *
   * @example
   * const lm = await this.createBlock({ name: "sim", type: "openai", ... }, "task 't' tools");
   */
  async createBlock(config: Row, where: string): Promise<Block> {
    if (!this.blockFactory)
      throw new ConfigError(`builder '${this.name}' cannot create the blocks ${where} needs`, {
        file: this.file,
        hint: "construct builders through the engine (assembleBuilder): it gives them a factory",
      });
    return this.blockFactory(config, where);
  }

  /**
   * Record rows the builder itself refuses, as a block's rejects are: each goes to the task's
   * `blocks/<block>.jsonl` (with `block_name` and the `reason` it carries) and counts as rejected
   * by `block` in the run's metrics (summary, task_results.jsonl, progress.jsonl). Rows another
   * block counted already (an LM block counts the rows whose request failed) pass
   * `{ counted: true }`: written, not counted twice.
   *
   * @example
   * await this.recordRejects("answer_check", [{ task_name: "qa", answer: "", reason: "empty" }]);
   */
  async recordRejects(
    block: string,
    rows: readonly Row[],
    options: { counted?: boolean } = {},
  ): Promise<void> {
    if (rows.length === 0) return;
    const byTask = new Map<string, number>();
    const named = rows.map((r): Row => ({ ...r, block_name: block }));
    for (const r of options.counted ? [] : named) {
      const task = String(r.task_name ?? "");
      byTask.set(task, (byTask.get(task) ?? 0) + 1);
    }
    for (const [task, n] of byTask) {
      this.observer?.rejected?.(task, block, n);
      this.telemetry.event("data_point_rejected", {
        block_name: block,
        builder_name: this.name,
        task_name: task,
        count: n,
      });
    }
    if (this.rejectSink) await this.rejectSink({ name: block, type: this.name }, named);
    else await appendRejects(this.tasks, block, named);
  }

  /**
   * The block named `name` in the builder YAML.
   *
   * @example
   * const generator = this.block<LMProvider>("generator");
   */
  block<T extends Block = Block>(name: string): T {
    const b = this.blocks.get(name);
    if (!b)
      throw new ConfigError(`builder '${this.name}' has no block named '${name}'`, {
        file: this.file,
        hint: suggestion(name, [...this.blocks.keys()]),
      });
    return b as T;
  }

  /** A block if the YAML defines it. */
  optionalBlock<T extends Block = Block>(name: string): T | undefined {
    return this.blocks.get(name) as T | undefined;
  }

  /**
   * The random stream for one input row's draws (examples, personas, ...): it depends only on the
   * run's seed, the row's task, batch and place in the batch, never on which rows share the call
   * or when the call runs, so two runs with the same `--seed` draw alike at any concurrency. Use a
   * different `label` for each independent use on one row. Rows without a draw key (made by the
   * builder) get the builder-wide `rng`.
   *
   * @example
   * const examples = this.rngFor(row, "examples").choices(sameTask, 3);
   */
  rngFor(row: Row, label = ""): Random {
    return rowRandom(row, label, this.rng);
  }

  /** Render a template file found relative to the builder YAML. */
  render(templatePath: string, variables: Record<string, unknown>): string {
    const file = resolve(this.dir, templatePath);
    return renderTemplate(readTemplate(file), variables, { file });
  }

  /** The last model reply the builder could not turn into a record, and why (see `unusableReply`). */
  lastUnusable: { reply: string; reason: string } | undefined;

  /**
   * Note a model reply the builder could not use, and why. When a task makes no record at all,
   * the engine stops it early and shows the last such reply, so a user sees what the model
   * answered and what the parser expected.
   *
   * @example
   * if (!parsed) this.unusableReply(text, "expected one 'Answer:' line");
   */
  protected unusableReply(reply: string, reason: string): void {
    this.lastUnusable = { reply, reason };
  }

  /**
   * Turn a seed or input row into the builder's input (default: as is). For a transformation's
   * input rows `position` says where the row is in the input (stable across resume and rerun).
   */
  instantiateInput(_task: Task, row: Row, _position?: DataloaderState): Row {
    return row;
  }

  /** Called once after tasks are opened, before the first batch. */
  async setup(): Promise<void> {}

  /**
   * The records a task's final data holds, from its final records (default: as they are). A
   * builder may drop working fields here or write outputs of its own next to the task's.
   *
   * @example
   * override async finalize(task: Task, records: Row[]) { return records.map(({ scratch: _s, ...r }) => r); }
   */
  async finalize(_task: Task, records: Row[]): Promise<Row[]> {
    return records;
  }

  /**
   * Metrics of a finished task's final records that this builder adds to the `metrics` of the
   * task's last `task_results.jsonl` line (DiGiT's `Task.record_task_results`); default none.
   * Read the records with `task.readAccepted(task.finalCount())`.
   *
   * @example
   * override async taskMetrics(task: Task) { let n = 0; for await (const _ of task.readAccepted(task.finalCount())) n++; return { counted: n }; }
   */
  async taskMetrics(_task: Task): Promise<Row> {
    return {};
  }

  /**
   * Whether this builder overrides `finalize`. Without one, final data streams from disk instead
   * of being gathered in memory for the hook.
   *
   * @example
   * const hook = builder.hasFinalize ? (rows: Row[]) => builder.finalize(task, rows) : undefined;
   */
  get hasFinalize(): boolean {
    return this.finalize !== DataBuilder.prototype.finalize;
  }

  /**
   * Checks of one task's YAML beyond its schema, run while the run is planned (before any output
   * is written), with the builder's parsed config (its `blocks` include `extraBlocks`). Throw a
   * ConfigError naming the file and line. It may be async (e.g. to load a task's tools, whose
   * plugin types resolve in the run's `registry`).
   *
   * @example
   * static override async checkTask(spec: Row, file: string | undefined) { await checkMine(spec, file); }
   */
  static checkTask(
    _spec: Row,
    _file: string | undefined,
    _config: Row,
    _registry?: Registry,
  ): void | Promise<void> {}

  /**
   * More key tables for `digit describe` (e.g. core/columns' keys of each column type), each a
   * title and a zod shape.
   */
  static describeSections(): { title: string; shape: z.ZodRawShape }[] {
    return [];
  }

  /**
   * Make `count` records of one task in memory, writing nothing (`digit preview`); undefined
   * when the builder has no preview.
   */
  static preview: ((init: PreviewInit) => Promise<PreviewResult>) | undefined = undefined;

  /** Release resources; blocks are closed by the engine. */
  async close(): Promise<void> {}

  /** The task named `name` among this builder's tasks. */
  task<T extends Task = Task>(name: string): T | undefined {
    return this.tasks.find((t) => t.name === name) as T | undefined;
  }
}

/**
 * A builder that makes new records from seeds: `call(requestIdx, batch)` gets seeds and earlier
 * records of all its tasks mixed in one batch.
 *
 * @example
 * @registerDataBuilder("my/qa")
 * export class MyQA extends GenerationDataBuilder {
 *   async call(_i: number, batch: Row[]) { ... return rows; }
 * }
 */
export abstract class GenerationDataBuilder extends DataBuilder {
  readonly kind = "generation" as const;
  declare tasks: GenerationTask[];
  abstract call(requestIdx: number, batch: Row[]): Promise<Row[]>;

  /**
   * The next batch of input rows for `task`: by default seeds plus earlier records. Override to
   * build batches differently (e.g. blank conversations to be filled in).
   */
  nextBatch(task: GenerationTask): Promise<InputBatch> {
    return task.nextBatch();
  }
}

/**
 * A builder that transforms input records once: `call(batch)` gets up to `transform_batch_size`
 * rows of each task.
 *
 * @example
 * @registerDataBuilder("my/rater")
 * export class Rater extends TransformationDataBuilder {
 *   async call(batch: Row[]) { ... }
 * }
 */
export abstract class TransformationDataBuilder extends DataBuilder {
  static override family: "generation" | "transformation" = "transformation";
  readonly kind = "transformation" as const;
  declare tasks: TransformationTask[];
  /**
   * Whether `call` treats each row on its own (its output for a row does not depend on the other
   * rows of the batch). Then, when its blocks do too and none sends requests, the engine grows
   * batches past `transform_batch_size` (batch size then changes only how often progress is saved).
   */
  static rowwise = false;
  abstract call(batch: Row[]): Promise<Row[]>;
}

/**
 * The constructor type the registry hands out for builders (the type of `transformationVariant`).
 *
 * @example
 * static override transformationVariant: DataBuilderClass | undefined = MyRater;
 */
export type DataBuilderClass = (new (init: BuilderInit) => DataBuilder) & typeof DataBuilder;

/**
 * The rows of a batch grouped by their `task_name`, in order of first appearance (a builder
 * serving several tasks usually prompts each task with its own examples).
 *
 * @example
 * const results = await Promise.all([...rowsByTask(batch)].map(([task, rows]) => this.generateFor(task, rows)));
 */
export function rowsByTask(rows: readonly Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const key = String(r.task_name);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(r);
  }
  return out;
}
