import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type nunjucks from "nunjucks";

/**
 * Render a Jinja-style prompt template (nunjucks, no HTML escaping).
 *
 * Most prompt templates only put variables into text (`{{ examples }}`, `{{ row.question }}`).
 * Those are rendered by substitution, exactly as nunjucks would (null and undefined as "", other
 * values as `String(value)`); any other template (tags, filters, comments, whitespace control, a
 * name the variables lack) goes to nunjucks, which is loaded only then.
 *
 * @example
 * renderTemplate("Examples:\n{{ examples }}", { examples: "Q: ...\nA: ..." })
 */
export function renderTemplate(template: string, variables: Record<string, unknown>): string {
  let compiled = compiledTemplates.get(template);
  if (!compiled) {
    compiled = compile(template);
    if (compiledTemplates.size >= MAX_COMPILED) compiledTemplates.delete(compiledTemplates.keys().next().value!);
    compiledTemplates.set(template, compiled);
  }
  return compiled(variables);
}

type Compiled = (variables: Record<string, unknown>) => string;

const MAX_COMPILED = 256;
const compiledTemplates = new Map<string, Compiled>();

/** Words nunjucks reads as literals or operators, never as variable names. */
const KEYWORDS = new Set(["true", "false", "True", "False", "none", "None", "null", "not", "and", "or", "in", "is", "if", "else"]);

/** `{{ name }}` or `{{ a.b.c }}`, nothing else inside the braces. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}\}/g;

function compile(template: string): Compiled {
  const simple = substitution(template);
  if (!simple) return viaNunjucks(template);
  let full: Compiled | undefined;
  return (variables) => {
    const out = simple(variables);
    return out ?? (full ??= viaNunjucks(template))(variables);
  };
}

/**
 * A renderer for a template of text and plain placeholders (undefined for any other template);
 * the renderer answers undefined for variables it cannot render as nunjucks would.
 *
 * @example
 * substitution("Q: {{ q }}")?.({ q: 1 }) // "Q: 1"
 * substitution("{% if q %}x{% endif %}") // undefined
 */
export function substitution(template: string): ((variables: Record<string, unknown>) => string | undefined) | undefined {
  const texts: string[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const path = m[1]!.split(".");
    if (KEYWORDS.has(path[0]!)) return undefined; // `{{ true }}` is a literal to nunjucks
    texts.push(template.slice(last, m.index));
    paths.push(path);
    last = m.index + m[0].length;
  }
  texts.push(template.slice(last));
  // Anything nunjucks would read as syntax in the text between placeholders: leave it to nunjucks.
  if (texts.some((t) => t.includes("{{") || t.includes("{%") || t.includes("{#"))) return undefined;
  return (variables) => {
    let out = texts[0]!;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      // A name the variables lack may be one of nunjucks' globals; functions and symbols print
      // differently there.
      if (!Object.prototype.propertyIsEnumerable.call(variables, path[0]!)) return undefined;
      let value: unknown = variables[path[0]!];
      for (let k = 1; k < path.length && value !== undefined && value !== null; k++) value = (value as Record<string, unknown>)[path[k]!];
      if (typeof value === "function" || typeof value === "symbol") return undefined;
      out += (value === undefined || value === null ? "" : String(value)) + texts[i + 1]!;
    }
    return out;
  };
}

let env: nunjucks.Environment | undefined;

function viaNunjucks(template: string): Compiled {
  const nj = createRequire(import.meta.url)("nunjucks") as typeof nunjucks;
  env ??= new nj.Environment(null, { autoescape: false, throwOnUndefined: false, trimBlocks: false });
  // Compiling costs about a millisecond; a builder renders the same few templates per row.
  const t = new nj.Template(template, env, undefined, true);
  return (variables) => t.render(variables);
}

const cache = new Map<string, string>();

/** Read a template file once. */
export function readTemplate(file: string): string {
  let t = cache.get(file);
  if (t === undefined) cache.set(file, (t = readFileSync(file, "utf8")));
  return t;
}
