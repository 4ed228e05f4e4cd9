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
  return env.renderString(template, variables);
}

const cache = new Map<string, string>();

/** Read a template file once. */
export function readTemplate(file: string): string {
  let t = cache.get(file);
  if (t === undefined) cache.set(file, (t = readFileSync(file, "utf8")));
  return t;
}
