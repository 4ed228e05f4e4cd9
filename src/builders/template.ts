import { readFileSync } from "node:fs";
import nunjucks from "nunjucks";

const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false, trimBlocks: false });

/**
 * Render a Jinja-style prompt template (nunjucks, no HTML escaping).
 *
 * @example
 * renderTemplate("Examples:\n{{ examples }}", { examples: "Q: ...\nA: ..." })
 */
export function renderTemplate(template: string, variables: Record<string, unknown>): string {
  let compiled = compiledTemplates.get(template);
  if (!compiled) {
    // Compiling costs about a millisecond; a builder renders the same few templates per row.
    compiled = new nunjucks.Template(template, env, undefined, true);
    if (compiledTemplates.size >= MAX_COMPILED) compiledTemplates.delete(compiledTemplates.keys().next().value!);
    compiledTemplates.set(template, compiled);
  }
  return compiled.render(variables);
}

const MAX_COMPILED = 256;
const compiledTemplates = new Map<string, nunjucks.Template>();

const cache = new Map<string, string>();

/** Read a template file once. */
export function readTemplate(file: string): string {
  let t = cache.get(file);
  if (t === undefined) cache.set(file, (t = readFileSync(file, "utf8")));
  return t;
}
