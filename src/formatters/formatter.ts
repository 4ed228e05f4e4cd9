import { z } from "zod";
import type { Row } from "../util/mapping.js";

/**
 * Turns a finished record into a training-ready record or string (task `formatter:`, used for
 * `formatted_data` when `save_formatted_output` is on).
 *
 * @example
 * @registerFormatter("formatters/upper")
 * export class Upper extends Formatter {
 *   apply(row: Row) { return { text: String(row.text).toUpperCase() }; }
 * }
 */
export abstract class Formatter {
  /** The keys of the task's `formatter:` mapping this type reads (`digit describe`). */
  static configSchema: z.ZodObject = z.object({ type: z.string().describe("The formatter type (see `digit list formatters`)") });
  readonly config: Row;
  /** Where the formatter is configured (for error messages). */
  readonly origin: FormatterOrigin;
  constructor(config: Row = {}, origin: FormatterOrigin = {}) {
    this.config = config;
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
