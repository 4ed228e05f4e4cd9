import { z } from "zod";
import { registerFormatter } from "../../registry/decorators.js";
import { checkTemplate, renderTemplate, type TemplateSource } from "../../templates/template.js";
import type { Row } from "../../util/mapping.js";
import { Formatter, type FormatterOrigin, formatterSchema } from "../formatter.js";

const templateFormatterSchema = formatterSchema.extend({
  format: z
    .union([z.string(), z.record(z.string(), z.string())])
    .describe(
      "A nunjucks (Jinja-style) template, or a mapping of them, with the record's fields as variables",
    ),
});

/**
 * DiGiT's `formatters/template`: renders `format` (a string, or a mapping of strings) as Jinja-style
 * templates (nunjucks, sandboxed: see renderTemplate) with the record's fields as variables, e.g.
 * `{{ question | upper }}`. The templates are compiled when the formatter is created, so a broken or
 * forbidden template is reported by `digit validate` and before a run writes anything.
 * Also registered as `formatters/template_based`.
 *
 * @example
 * formatter:
 *   type: formatters/template
 *   format: { messages: "User: {{ question }}\nAssistant: {{ answer }}" }
 */
@registerFormatter("formatters/template", "formatters/template_based")
export class TemplateFormatter extends Formatter<typeof templateFormatterSchema> {
  static override configSchema: z.ZodObject = templateFormatterSchema;
  readonly format: string | Record<string, string>;

  constructor(config: Row = {}, origin: FormatterOrigin = {}) {
    super(config, origin);
    this.format = this.config.format;
    if (typeof this.format === "string") checkTemplate(this.format, this.source());
    else for (const [k, v] of Object.entries(this.format)) checkTemplate(v, this.source(k));
  }

  apply(row: Row): Row | string {
    if (typeof this.format === "string") return renderTemplate(this.format, row, this.source());
    const out: Row = {};
    for (const [k, v] of Object.entries(this.format))
      out[k] = renderTemplate(v, row, this.source(k));
    return out;
  }

  private source(key?: string): TemplateSource {
    return {
      file: this.origin.file,
      name: key === undefined ? "formatter format" : `formatter format '${key}'`,
    };
  }
}
