import { z } from "zod";
import type { Span } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import { Block, type BlockFields, type BlockItem } from "./block.js";

/**
 * The outcome of validating one row: a boolean, or a verdict with a reason and metadata.
 *
 * @example
 * validate(item): Validation {
 *   return item.input.length > 3 || reject("too short", { length: item.input.length });
 * }
 */
export type Validation =
  | boolean
  | { valid: boolean; reason?: string | undefined; metadata?: Row | undefined };

/**
 * A passing verdict.
 *
 * @example
 * return ok({ score: 0.2 });
 */
export const ok = (metadata?: Row): Validation => ({ valid: true, metadata });

/**
 * A failing verdict with the reason recorded on the rejected row.
 *
 * @example
 * return reject("too short", { length: 3 });
 */
export const reject = (reason: string, metadata?: Row): Validation => ({
  valid: false,
  reason,
  metadata,
});

/**
 * Fields a validator adds to each row.
 *
 * @example
 * async validateBatch(items: (BlockItem<{ input: string }> & ValidatorFields)[]) {
 *   return items.map((i) => i.is_valid !== false && i.input !== "");
 * }
 */
export interface ValidatorFields {
  is_valid?: boolean | null;
  metadata?: Row | null;
}

/**
 * Keys every validator accepts (`ValidatorBlock.configSchema`); a validator extends it with its own.
 *
 * @example
 * const config = validatorConfigSchema.extend({ min_chars: z.number().default(10) });
 */
export const validatorConfigSchema = z.object({
  filter: z
    .boolean()
    .nullish()
    .describe(
      "Remove invalid rows (each written with its reason to blocks/<name>.jsonl); otherwise only mark them is_valid: false",
    ),
});

/**
 * A block that judges rows. It sets `is_valid` and `metadata` on every row; with `filter: true`
 * in its config it also removes invalid rows and writes each one, with its reason and the block
 * name, to the owning task's `blocks/<block>.jsonl`.
 *
 * Implement `validate` (one row) or `validateBatch` (all rows at once). `S` is the block's config
 * schema (`ValidatorBlock.configSchema.extend({...})`, also set as `static configSchema`), so
 * `this.config` is typed; `T` is the row the validator reads (default `{ input: unknown }`,
 * matching `fields`).
 *
 * @example
 * const minLengthConfig = ValidatorBlock.configSchema.extend({ min_chars: z.number().default(10) });
 *
 * @registerBlock("my_org/min_length")
 * export class MinLength extends ValidatorBlock<typeof minLengthConfig> {
 *   static override configSchema = minLengthConfig;
 *   validate(row: { input: unknown }) {
 *     return String(row.input).length >= this.config.min_chars ? ok() : reject("too short");
 *   }
 * }
 */
export abstract class ValidatorBlock<
  S extends z.ZodObject = typeof validatorConfigSchema,
  T extends Row = { input: unknown },
> extends Block<S> {
  static override configSchema: typeof validatorConfigSchema = validatorConfigSchema;
  static override fields: BlockFields | undefined = { required: ["input"] };
  protected static override frameworkFields: readonly string[] = [
    "store_names",
    "is_valid",
    "metadata",
  ];

  /** Whether this block removes invalid rows (YAML `filter`). */
  get filters(): boolean {
    return this.config.filter === true;
  }

  /** Judge one row. */
  validate?(item: BlockItem<T> & ValidatorFields): Validation | Promise<Validation>;

  /**
   * Judge all rows of one call; by default `validate` on each. `span` is the call's `dgt.block`
   * span, for the spans of nested blocks (a judge's model).
   */
  async validateBatch(
    items: (BlockItem<T> & ValidatorFields)[],
    _options: Record<string, unknown> = {},
    _span?: Span,
  ): Promise<Validation[]> {
    if (!this.validate)
      throw new TypeError(`validator '${this.name}' implements neither validate nor validateBatch`);
    return Promise.all(items.map((i) => this.validate!(i)));
  }

  protected async execute(
    items: BlockItem[],
    options: Record<string, unknown>,
    span?: Span,
  ): Promise<BlockItem[]> {
    const filtering = this.filters && options.filter !== false;
    const verdicts = await this.validateBatch(
      items as (BlockItem<T> & ValidatorFields)[],
      options,
      span,
    );
    if (verdicts.length !== items.length)
      throw new TypeError(
        `validator '${this.name}' returned ${verdicts.length} verdicts for ${items.length} rows`,
      );
    const kept: BlockItem[] = [];
    const removed: BlockItem[] = [];
    items.forEach((item, i) => {
      applyVerdict(item, verdicts[i]!);
      (item.is_valid || !filtering ? kept : removed).push(item);
    });
    if (removed.length) await this.recordRemoved(removed, span);
    return kept;
  }

  /** Record removed rows (as the caller's rows, with the verdict's reason) in the reject stores. */
  protected recordRemoved(items: BlockItem[], span?: Span): Promise<void> {
    return this.recordRejects(
      items.map((item) => ({
        row: this.transformOutput(item),
        reason: String((item as ValidatorFields).metadata?.reason ?? "rejected"),
      })),
      span,
    );
  }
}

function applyVerdict(item: BlockItem & ValidatorFields, v: Validation): void {
  if (typeof v === "boolean") {
    item.is_valid = v;
    return;
  }
  if (typeof v !== "object" || v === null || typeof v.valid !== "boolean") {
    throw new TypeError("a validator must return a boolean or { valid, reason?, metadata? }");
  }
  item.is_valid = v.valid;
  if (v.metadata !== undefined || v.reason !== undefined)
    item.metadata = {
      ...(v.metadata ?? {}),
      ...(v.reason !== undefined ? { reason: v.reason } : {}),
    };
}
