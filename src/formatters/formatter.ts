import { z } from "zod";
import { parseWith } from "../config/zod-errors.js";
import type { Row } from "../util/mapping.js";

/**
 * The keys every formatter type accepts; a type's `configSchema` extends it with its own keys and
 * their defaults. Keys a type does not declare are dropped.
 *
 * @example
 * const schema = formatterSchema.extend({ prefix: z.string().default("") });
 */
export const formatterSchema = z.object({
  type: z.string().optional().describe("The formatter type (see `digit list formatters`)"),
});

/**
 * Turns a finished record into a training-ready record or string (task `formatter:`, used for
 * `formatted_data` when `save_formatted_output` is on).
 *
 * Its config is parsed by its `configSchema` when it is constructed, so `this.config` is typed
 * and has the schema's defaults.
 *
 * @example
 * const upperSchema = formatterSchema.extend({ field: z.string().default("text") });
 * @registerFormatter("formatters/upper")
 * export class Upper extends Formatter<typeof upperSchema> {
 *   static override configSchema = upperSchema;
 *   apply(row: Row) { return { text: String(row[this.config.field]).toUpperCase() }; }
 * }
 */
export abstract class Formatter<S extends z.ZodObject = typeof formatterSchema> {
  /** The keys of the task's `formatter:` mapping this type reads (`digit describe`). */
  static configSchema: z.ZodObject = formatterSchema;
  /** The config parsed by this class's `configSchema`: typed, defaults applied. */
  readonly config: z.output<S>;
  /** Where the formatter is configured (for error messages). */
  readonly origin: FormatterOrigin;
  constructor(config: Row = {}, origin: FormatterOrigin = {}) {
    const schema = (this.constructor as typeof Formatter).configSchema;
    const what = `formatter '${typeof config.type === "string" ? config.type : this.constructor.name}'`;
    // The subclass declares `configSchema` as the schema its `S` names; statics cannot say so.
    this.config = parseWith(schema, config, what, origin.file) as z.output<S>;
    this.origin = origin;
  }
  abstract apply(row: Row): Row | string | Promise<Row | string>;
}

/** Where a formatter is configured: the task file whose `formatter:` created it. */
export interface FormatterOrigin {
  file?: string | undefined;
}

/** Constructor shape the registry hands out for formatters. */
export type FormatterClass = new (config: Row, origin?: FormatterOrigin) => Formatter;
