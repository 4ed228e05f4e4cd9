import { z } from "zod";
import { registerFormatter } from "../../registry/decorators.js";
import type { Row } from "../../util/mapping.js";
import { Formatter, type FormatterOrigin, formatterSchema } from "../formatter.js";
import { pythonStr } from "../python/repr.js";

/** A string, or a flat mapping of field names to strings. */
const formatOption = z.union([z.string(), z.record(z.string(), z.string())]);
type Format = z.output<typeof formatOption>;

const nativeFormatterSchema = formatterSchema.extend({
  format: formatOption.describe(
    "A string with {{field}} placeholders (the output is a string), or a mapping of them (the output is a record)",
  ),
});

/**
 * DiGiT's `formatters/native`: fills `{{field}}` placeholders (no spaces inside the braces) with
 * the record's top-level fields, written as Python's `str()` would write them. `format` is one
 * string (the output is that string) or a mapping of strings (the output is a record). Unknown
 * placeholders stay as they are.
 *
 * @example
 * formatter:
 *   type: formatters/native
 *   format: { input: "{{question}}", output: "{{answer}}" }
 */
@registerFormatter("formatters/native")
export class NativeFormatter extends Formatter<typeof nativeFormatterSchema> {
  static override configSchema: z.ZodObject = nativeFormatterSchema;
  readonly format: Format;

  constructor(config: Row = {}, origin: FormatterOrigin = {}) {
    super(config, origin);
    this.format = this.config.format;
  }

  apply(row: Row): Row | string {
    const fill = (template: string) =>
      template.replace(/\{\{(\w+)\}\}/g, (all, key: string) =>
        key in row ? pythonStr(row[key]) : all,
      );
    if (typeof this.format === "string") return fill(this.format);
    const out: Row = {};
    for (const [k, v] of Object.entries(this.format)) out[k] = fill(v);
    return out;
  }
}
