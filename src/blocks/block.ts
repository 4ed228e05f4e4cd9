import { z } from "zod";
import type { CacheSettings } from "../cache/settings.js";
import { parseWith } from "../config/zod-errors.js";
import { ConfigError, DigitError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { silentLogger } from "../telemetry/logger.js";
import type { RunObserver } from "../telemetry/observer.js";
import { NoTelemetry, type Span, type Telemetry } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import { getPath, MISSING, PathSyntaxError, parsePath, setPath } from "../util/paths.js";
import type { AdaptiveLimiter } from "./lm/limiter.js";
import type { SpendGuard } from "./lm/spend-guard.js";

/**
 * A block's view of one input row: its mapped fields plus the caller's original row.
 *
 * @example
 * protected async execute(items: BlockItem<{ input: string }>[]) {
 *   return items.map((item) => ({ ...item, output: item.input.trim() }));
 * }
 */
export type BlockItem<T extends Row = Row> = T & { SRC_DATA: Row };

/** Writes rows a validator removed to the owning task's `blocks/<block>` store. */
export type RejectSink = (block: { name: string; type: string }, rows: Row[]) => Promise<void>;

/** What a block receives from the builder that owns it. */
export interface BlockContext {
  builderName?: string | undefined;
  telemetry?: Telemetry | undefined;
  logger?: Logger | undefined;
  observer?: RunObserver | undefined;
  rejects?: RejectSink | undefined;
  /** Builds nested blocks (e.g. the judge LM inside `lm_judge`) from their config. */
  createBlock?: ((config: Row) => Promise<Block>) | undefined;
  /** The run's response cache settings (`--cache-dir`, `--no-cache`); default: the environment's. */
  cache?: Partial<CacheSettings> | undefined;
  /** The run's spending caps, checked before every LLM request (absent: no cap). */
  budget?: SpendGuard | undefined;
  /** The run's `--execution`: overrides the `execution` of every LLM block (batch APIs). */
  execution?: "online" | "batch" | "auto" | undefined;
  /** Blocks are created only to be checked (`digit validate`): they contact no endpoint. */
  validating?: boolean | undefined;
}

/** Keys every block config may have, whatever its type. */
export const baseBlockConfigSchema = z.object({
  name: z
    .string()
    .min(1)
    .describe("Name the builder calls the block by (unique in its builder YAML)"),
  type: z.string().min(1).describe("The block type (see `digit list blocks`)"),
  input_map: z
    .record(z.string(), z.string())
    .nullish()
    .describe("{your_field: block_field}: which row fields the block reads as its own fields"),
  output_map: z
    .record(z.string(), z.string())
    .nullish()
    .describe("{block_field: your_field}: where the block's results are written in the row"),
  datastores: z
    .array(z.record(z.string(), z.unknown()))
    .nullish()
    .describe("Accepted for DiGiT compatibility; no built-in block uses it"),
  builder_name: z
    .string()
    .optional()
    .describe("Accepted for DiGiT compatibility; the owning builder is known without it"),
});

/** A block config as written in builder YAML, before its type's schema has parsed it. */
export type BlockConfig = z.input<typeof baseBlockConfigSchema> & Row;

/**
 * A block's parsed config: the keys every block has plus the output of its own schema `S`, with
 * the schema's defaults applied. This is the type of `this.config` in a `Block<S>`.
 *
 * @example
 * const schema = z.object({ min_chars: z.number().default(10) });
 * type Config = BlockConfigOf<typeof schema>; // { name: string; ...; min_chars: number }
 */
export type BlockConfigOf<S extends z.ZodObject> = z.output<typeof baseBlockConfigSchema> &
  z.output<S>;

/** Configs produced by `Block.parseConfig`, so a constructor handed one does not parse it again. */
const parsedConfigs = new WeakSet<object>();

/** Each block class's full config schema (base keys plus its own, strict), built once. */
const fullSchemas = new WeakMap<object, z.ZodObject>();

/** Per-call options: call-time maps replace the configured ones; other keys go to `execute`. */
export interface CallOptions {
  input_map?: Record<string, string> | undefined;
  output_map?: Record<string, string> | undefined;
  [option: string]: unknown;
}

/** The fields a block reads and writes (DiGiT's DATA_TYPE). Absent = dict mode. */
export interface BlockFields {
  readonly required: readonly string[];
  readonly optional?: readonly string[];
}

/** A required input field is missing from a row. */
export class BlockInputError extends DigitError {
  constructor(block: string, missing: readonly string[]) {
    super(
      "DIGIT_BLOCK_INPUT",
      `block '${block}': required inputs [${missing.join(", ")}] are not in the row`,
      {
        hint: `map your field to it with input_map, e.g. input_map: { my_field: ${missing[0]} }`,
      },
    );
  }
}

/**
 * One operation over a list of rows. Rows are mapped in through `input_map` (`{your_field:
 * block_field}`), processed by `execute`, and written back into the caller's own row objects
 * through `output_map` (`{block_field: your_field}`), so fields the block does not know pass through.
 *
 * Subclasses declare `static configSchema` (their own YAML keys, checked strictly, defaults
 * included) and pass its type as `S`, so `this.config` is the parsed, typed config; and
 * `static fields` (what they read and write).
 *
 * @example
 * const upperConfig = z.object({ suffix: z.string().default("") });
 *
 * @registerBlock("upper")
 * export class Upper extends Block<typeof upperConfig> {
 *   static override configSchema = upperConfig;
 *   static override fields = { required: ["text"] };
 *   protected async execute(items: BlockItem[]) {
 *     return items.map((i) => ({ ...i, text: String(i.text).toUpperCase() + this.config.suffix }));
 *   }
 * }
 */
export abstract class Block<S extends z.ZodObject = z.ZodObject> {
  /** YAML keys specific to this block type (besides name, type, input_map, output_map, ...). */
  static configSchema: z.ZodObject = z.object({});
  /** Fields read and written; undefined means "dict mode" (whatever keys the row has). */
  static fields: BlockFields | undefined = undefined;
  /**
   * Whether `key`, kept from a block of another type that an override replaced, means nothing to
   * this type, so it is dropped quietly rather than warned about (keys outside the config schema
   * are always dropped).
   */
  static ignoresInheritedKey(_key: string): boolean {
    return false;
  }
  /** Fields every block carries through (DiGiT's `store_names`). */
  protected static frameworkFields: readonly string[] = ["store_names"];

  /**
   * Whether each row's result depends only on the row (and on state the block keeps across calls
   * on purpose, such as a dedup index), so the engine may hand a dataset to the block in chunks
   * (postprocessing streams then). False: the block gets the whole dataset in one call.
   */
  static rowwise = false;

  /**
   * The full schema of this block type's YAML: the keys every block has plus `configSchema`,
   * unknown keys refused.
   *
   * @example
   * Object.keys(RougeScorer.fullConfigSchema().shape) // ["name", "type", ..., "threshold", ...]
   */
  static fullConfigSchema(): z.ZodObject {
    let schema = fullSchemas.get(this);
    if (!schema) {
      schema = z.strictObject({ ...baseBlockConfigSchema.shape, ...this.configSchema.shape });
      fullSchemas.set(this, schema);
    }
    return schema;
  }

  /**
   * Parse a block config with this type's schema (defaults applied; an unknown key is a
   * ConfigError naming its file and line). The constructor takes the result as it is.
   *
   * @example
   * const config = RougeScorer.parseConfig({ name: "dedup", type: "rouge_scorer" });
   * config.threshold // 1.1 (the schema's default)
   */
  static parseConfig(raw: Row, what?: string): BlockConfigOf<z.ZodObject> {
    const config = parseWith(
      this.fullConfigSchema(),
      raw,
      what ?? `block '${String(raw.name)}' (type ${String(raw.type)})`,
    );
    parsedConfigs.add(config);
    return config as BlockConfigOf<z.ZodObject>;
  }

  readonly name: string;
  readonly type: string;
  /** The parsed config: typed by the block's schema `S`, its defaults applied. */
  readonly config: BlockConfigOf<S>;
  protected readonly ctx: BlockContext;
  protected readonly logger: Logger;
  protected readonly telemetry: Telemetry;
  private readonly inputMap: Record<string, string> | undefined;
  private readonly outputMap: Record<string, string> | undefined;

  /**
   * `config` is the block's YAML mapping; it is parsed here by the class's schema unless it came
   * from `parseConfig` already (as `createBlock` passes it), so defaults are applied exactly once.
   */
  constructor(raw: BlockConfig, ctx: BlockContext = {}) {
    const cls = new.target as unknown as typeof Block;
    // The one place a config meets its type: `S` is the class's own `configSchema` (the class
    // declares both), which TypeScript cannot tie to a static member.
    const config = (parsedConfigs.has(raw) ? raw : cls.parseConfig(raw)) as BlockConfigOf<S>;
    this.config = config;
    this.name = config.name;
    this.type = config.type;
    const create = ctx.createBlock;
    // Blocks this block creates (a judge's model) are remembered, so their limiters count as ours.
    this.ctx = create ? { ...ctx, createBlock: async (c) => this.adopt(await create(c)) } : ctx;
    this.logger = (ctx.logger ?? silentLogger).child({ block: config.name });
    this.telemetry = ctx.telemetry ?? new NoTelemetry();
    this.inputMap = config.input_map ?? undefined;
    this.outputMap = config.output_map ?? undefined;
    for (const [key, map] of [
      ["input_map", this.inputMap],
      ["output_map", this.outputMap],
    ] as const) {
      for (const path of Object.entries(map ?? {}).flat()) {
        try {
          parsePath(path);
        } catch (e) {
          if (e instanceof PathSyntaxError && /may not be used/.test(e.message))
            throw new ConfigError(`block '${config.name}': ${key}: ${e.message}`, {
              hint: "name the field something else",
            });
        }
      }
    }
  }

  /**
   * Run the block over `rows`, returning the (same, enriched) rows it keeps. Its `dgt.block` span
   * nests under `parent` (a block calling another passes its own span), else under the run.
   */
  async call(rows: readonly Row[], options: CallOptions = {}, parent?: Span): Promise<Row[]> {
    const { input_map, output_map, ...rest } = options;
    const inMap = input_map && Object.keys(input_map).length ? input_map : this.inputMap;
    const outMap = output_map && Object.keys(output_map).length ? output_map : this.outputMap;
    const items = rows.map((r) => this.transformInput(r, inMap));
    const attrs = {
      block_name: this.name,
      block_type: this.type,
      builder_name: this.ctx.builderName,
      input_count: items.length,
    };
    const out = await this.telemetry.withSpan(
      "dgt.block",
      attrs,
      async (span) => {
        const result = await this.execute(items, rest, span);
        span.set({ output_count: result.length });
        return result;
      },
      parent,
    );
    return out.map((item) => this.transformOutput(item, outMap));
  }

  /**
   * The operation itself, over mapped items. Return the items to keep (usually all, enriched).
   * `span` is this call's `dgt.block` span: pass it to nested blocks' `call` and to spans started here.
   */
  protected abstract execute(
    items: BlockItem[],
    options: Record<string, unknown>,
    span?: Span,
  ): Promise<BlockItem[]>;

  /**
   * Called once after construction, before the block's first call (`createBlock` awaits it).
   * Create nested blocks here, not on first use: a nested LLM block takes its place in its
   * credential's limiter, and the limit of a credential shared by several blocks must be settled
   * before any of them sends a request.
   */
  async open(): Promise<void> {}

  /**
   * Called before the engine runs this block, as a postprocessor, over the whole accepted set of
   * task `taskName` (in one call, or in chunks when `rowwise`). A block with state across calls
   * (a dedup index) starts that task's state afresh here.
   */
  startPass(_taskName: string): void {}

  /** Release connections, workers, files. */
  async close(): Promise<void> {}

  /**
   * The LLM concurrency limiters this block's requests go through, its nested blocks' included.
   * The engine starts more builder calls while they have spare capacity, so credentials stay busy.
   *
   * @example
   * const spare = block.limiters().reduce((s, l) => s + l.spare, 0);
   */
  limiters(): AdaptiveLimiter[] {
    return this.children.flatMap((c) => c.limiters());
  }

  private readonly children: Block[] = [];
  /** Whether another block created this one (a judge's model): its caller accounts for its rows. */
  protected nested = false;

  private adopt(child: Block): Block {
    child.nested = true;
    this.children.push(child);
    return child;
  }

  /**
   * Write rows this block gives up on to the owning task's `blocks/<block>.jsonl`, each with the
   * block's name and `reason`, and count them as rejected by this block.
   *
   * @example
   * await this.recordRejects(failed.map((item) => ({ row: { ...item.SRC_DATA }, reason: "timeout" })), span);
   */
  protected async recordRejects(
    rejects: { row: Row; reason: string }[],
    span?: Span,
  ): Promise<void> {
    const rows = rejects.map(
      ({ row, reason }): Row => ({ ...row, block_name: this.name, block_type: this.type, reason }),
    );
    const byTask = new Map<string, number>();
    for (const r of rows)
      byTask.set(String(r.task_name ?? ""), (byTask.get(String(r.task_name ?? "")) ?? 0) + 1);
    for (const [task, n] of byTask) {
      this.ctx.observer?.rejected?.(task, this.name, n);
      this.telemetry.event(
        "data_point_rejected",
        { block_name: this.name, block_type: this.type, task_name: task, count: n },
        span,
      );
    }
    await this.ctx.rejects?.({ name: this.name, type: this.type }, rows);
  }

  private fieldList(): string[] | undefined {
    const ctor = this.constructor as typeof Block;
    const f = ctor.fields;
    if (!f) return undefined;
    return [...f.required, ...(f.optional ?? []), ...ctor.frameworkFields];
  }

  /** Build the block's view of a caller row. */
  transformInput(row: Row, inputMap?: Record<string, string>): BlockItem {
    const ctor = this.constructor as typeof Block;
    const fields = this.fieldList();
    // YAML input_map is {caller_path: block_field}; flip it to {block_field: caller_path}.
    const map: Record<string, string> = {};
    for (const f of fields ?? Object.keys(row)) map[f] = f;
    if (inputMap)
      for (const [callerPath, blockField] of Object.entries(inputMap)) map[blockField] = callerPath;
    const item: Row = {};
    for (const [field, path] of Object.entries(map)) {
      if (fields && !fields.includes(field)) continue;
      const value = getPath(row, path, false);
      if (value !== MISSING) item[field] = value;
    }
    const missing = (ctor.fields?.required ?? []).filter((f) => !(f in item));
    if (missing.length) throw new BlockInputError(this.name, missing);
    return Object.assign(item, { SRC_DATA: row }) as BlockItem;
  }

  /** Write the block's results back into the caller's row and return that row. */
  transformOutput(item: BlockItem, outputMap?: Record<string, string>): Row {
    const src = item.SRC_DATA;
    const fields = this.fieldList();
    // Everything the block knows is echoed back except routing metadata (DiGiT's store_names).
    const defaults = (fields ?? Object.keys(src)).filter((f) => f !== "store_names");
    for (const f of defaults) {
      if (outputMap && f in outputMap) continue;
      if (f in item && item[f] !== undefined) setPath(src, f, item[f]);
    }
    if (outputMap)
      for (const [from, to] of Object.entries(outputMap))
        setPath(src, to, getPath(item, from, true));
    return src;
  }
}

/** The class of a block, as the registry hands it out. */
export type BlockClass = (new (
  config: BlockConfig,
  ctx?: BlockContext,
) => Block) &
  Pick<
    typeof Block,
    "configSchema" | "fields" | "fullConfigSchema" | "parseConfig" | "ignoresInheritedKey"
  >;
