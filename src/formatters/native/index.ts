import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { Formatter } from "../formatter.js";
import { registerFormatter } from "../../registry/decorators.js";
import type { Row } from "../../util/mapping.js";
import { pythonStr } from "../python/repr.js";

type Format = string | Record<string, string>;

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
export class NativeFormatter extends Formatter {
  static override configSchema: z.ZodObject = Formatter.configSchema.extend({
    format: z.union([z.string(), z.record(z.string(), z.string())]).describe("A string with {{field}} placeholders (the output is a string), or a mapping of them (the output is a record)"),
  });
  readonly format: Format;

  constructor(config: Row = {}) {
    super(config);
    this.format = checkFormat(config.format, "formatters/native");
  }

  apply(row: Row): Row | string {
    const fill = (template: string) => template.replace(/\{\{(\w+)\}\}/g, (all, key: string) => (key in row ? pythonStr(row[key]) : all));
    if (typeof this.format === "string") return fill(this.format);
    const out: Row = {};
    for (const [k, v] of Object.entries(this.format)) out[k] = fill(v);
    return out;
  }
}

/**
 * Check a formatter's `format` option: a string or a flat mapping of strings.
 *
 * @example
 * checkFormat({ input: "{{q}}" }, "formatters/native")
 */
export function checkFormat(format: unknown, type: string): Format {
  if (typeof format === "string") return format;
  if (format && typeof format === "object" && !Array.isArray(format) && Object.values(format).every((v) => typeof v === "string")) {
    return format as Record<string, string>;
  }
  throw new ConfigError(`${type}: 'format' must be a string or a mapping of field names to strings`, {
    hint: 'e.g. format: { input: "{{question}}", output: "{{answer}}" } (nested mappings are not supported)',
  });
}
