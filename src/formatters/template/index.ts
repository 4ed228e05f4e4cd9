import { z } from "zod";
import { Formatter, registerFormatter, renderTemplate, type Row } from "digit";
import { checkFormat } from "../native/index.js";

/**
 * DiGiT's `formatters/template`: renders `format` (a string, or a mapping of strings) as Jinja-style
 * templates (nunjucks) with the record's fields as variables, e.g. `{{ question | upper }}`.
 * Also registered as `formatters/template_based`.
 *
 * @example
 * formatter:
 *   type: formatters/template
 *   format: { messages: "User: {{ question }}\nAssistant: {{ answer }}" }
 */
@registerFormatter("formatters/template", "formatters/template_based")
export class TemplateFormatter extends Formatter {
  static override configSchema: z.ZodObject = Formatter.configSchema.extend({
    format: z.union([z.string(), z.record(z.string(), z.string())]).describe("A nunjucks (Jinja-style) template, or a mapping of them, with the record's fields as variables"),
  });
  readonly format: string | Record<string, string>;

  constructor(config: Row = {}) {
    super(config);
    this.format = checkFormat(config.format, "formatters/template");
  }

  apply(row: Row): Row | string {
    if (typeof this.format === "string") return renderTemplate(this.format, row);
    const out: Row = {};
    for (const [k, v] of Object.entries(this.format)) out[k] = renderTemplate(v, row);
    return out;
  }
}
