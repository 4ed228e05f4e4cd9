import { readFileSync } from "node:fs";
import { isDigitError, TemplateError, TemplateForbiddenError } from "../errors.js";
import { FORBIDDEN_MEMBERS } from "./template-check.js";
import { compileSandboxed, TemplateFailure, TemplateRefusal } from "./template-sandbox.js";

/** Where a template comes from, for error messages. */
export interface TemplateSource {
  /** The file holding the template (a prompt file, or the task YAML of a formatter). */
  file?: string | undefined;
  /** What the template is within that file, e.g. "formatter format 'messages'". */
  name?: string | undefined;
}

/**
 * Render a Jinja-style prompt template (nunjucks, no HTML escaping) in a sandbox: a template may
 * read data and use filters, tests, macros and a few string, list and number methods, but never
 * reach constructors, prototypes, globals or other files (see template-sandbox.ts). A template
 * that tries is a TemplateForbiddenError; one that does not parse or fails is a TemplateError.
 *
 * Most prompt templates only put variables into text (`{{ examples }}`, `{{ row.question }}`).
 * Those are rendered by substitution, exactly as nunjucks would (null and undefined as "", other
 * values as `String(value)`); any other template (tags, filters, comments, whitespace control, a
 * name the variables lack) goes to nunjucks, which is loaded only then.
 *
 * @example
 * renderTemplate("Examples:\n{{ examples }}", { examples: "Q: ...\nA: ..." })
 */
export function renderTemplate(
  template: string,
  variables: Record<string, unknown>,
  source: TemplateSource = {},
): string {
  try {
    return compiledTemplate(template)(variables);
  } catch (e) {
    throw asDigitError(e, source);
  }
}

/**
 * Compile a template now, so a template that does not parse or does what templates may not is
 * reported before anything renders (or any output is written).
 *
 * @example
 * checkTemplate("{{ q | upper }}", { file: "task.yaml", name: "formatter format" })
 */
export function checkTemplate(template: string, source: TemplateSource = {}): void {
  try {
    compiledTemplate(template);
  } catch (e) {
    throw asDigitError(e, source);
  }
}

function compiledTemplate(template: string): Compiled {
  let compiled = compiledTemplates.get(template);
  if (!compiled) {
    compiled = compile(template);
    if (compiledTemplates.size >= MAX_COMPILED)
      compiledTemplates.delete(compiledTemplates.keys().next().value!);
    compiledTemplates.set(template, compiled);
  }
  return compiled;
}

/** A template failure as the DigitError users see, naming the file and the template's line. */
function asDigitError(e: unknown, source: TemplateSource): unknown {
  if (isDigitError(e)) return e;
  const what = `template${source.name ? ` (${source.name})` : ""}`;
  if (e instanceof TemplateRefusal) {
    const at = e.problem.line ? ` at line ${e.problem.line} of the template` : "";
    return new TemplateForbiddenError(`${what} refused${at}: ${e.problem.message}`, {
      file: source.file,
      cause: e,
    });
  }
  if (e instanceof TemplateFailure) {
    return new TemplateError(
      `${what} failed${e.line ? ` at line ${e.line} of the template` : ""}: ${e.message}`,
      {
        file: source.file,
        hint: "fix the template (nunjucks syntax: {{ variable }}, {% if %}…{% endif %}, {{ value | filter }})",
        cause: e,
      },
    );
  }
  return e;
}

type Compiled = (variables: Record<string, unknown>) => string;

const MAX_COMPILED = 256;
const compiledTemplates = new Map<string, Compiled>();

/** Words nunjucks reads as literals or operators, never as variable names. */
const KEYWORDS = new Set([
  "true",
  "false",
  "True",
  "False",
  "none",
  "None",
  "null",
  "not",
  "and",
  "or",
  "in",
  "is",
  "if",
  "else",
]);

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
export function substitution(
  template: string,
): ((variables: Record<string, unknown>) => string | undefined) | undefined {
  const texts: string[] = [];
  const paths: string[][] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const path = m[1]!.split(".");
    if (KEYWORDS.has(path[0]!)) return undefined; // `{{ true }}` is a literal to nunjucks
    if (path.some((p) => FORBIDDEN_MEMBERS.has(p))) return undefined; // refused by the sandbox, with its error
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
      for (let k = 1; k < path.length && value !== undefined && value !== null; k++)
        value = (value as Record<string, unknown>)[path[k]!];
      if (typeof value === "function" || typeof value === "symbol") return undefined;
      out += (value === undefined || value === null ? "" : String(value)) + texts[i + 1]!;
    }
    return out;
  };
}

function viaNunjucks(template: string): Compiled {
  // Compiling costs about a millisecond; a builder renders the same few templates per row.
  return compileSandboxed(template);
}

const cache = new Map<string, string>();

/** Read a template file once. */
export function readTemplate(file: string): string {
  let t = cache.get(file);
  if (t === undefined) cache.set(file, (t = readFileSync(file, "utf8")));
  return t;
}
