/**
 * The static half of the template sandbox: before a template is compiled, its syntax tree is
 * checked for what a template may never do, so the check does not depend on what the variables
 * hold and a bad template is refused when it is first compiled (at `digit validate` for a formatter).
 *
 * Two kinds of thing are refused:
 * - features that reach outside the template: `include`, `import`, `from … import`, `extends`,
 *   extension tags, and member names on the forbidden list written literally (`x.constructor`,
 *   `x["__proto__"]`);
 * - shapes nunjucks would compile into broken or injected JavaScript: nunjucks pastes some names
 *   into the generated code without escaping them (a quoted `{% set "…" = %}` target, a quoted
 *   test name, a call through a string key holding a backslash, a symbol holding a quote), which
 *   lets a template run code before any runtime check sees it.
 */

/** Member names no template may read or call: they lead from data to constructors, prototypes and the JavaScript runtime. */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set([
  "constructor",
  "__proto__",
  "prototype",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "caller",
  "callee",
  "arguments",
  "bind",
  "call",
  "apply",
]);

/** A node of nunjucks' syntax tree, as far as the check reads it. */
export interface TemplateNode {
  typename: string;
  fields?: readonly string[];
  children?: TemplateNode[];
  value?: unknown;
  lineno?: number;
  [field: string]: unknown;
}

/** What the check found wrong: a message and the template line (1-based) when known. */
export interface TemplateProblem {
  message: string;
  line: number | undefined;
}

/** A variable or filter name: an identifier, dotted for filters such as `a.b`. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Tags that read other templates (files) or run extension code. */
const OUTSIDE_TAGS: Readonly<Record<string, string>> = {
  Include: "{% include %}",
  Import: "{% import %}",
  FromImport: "{% from … import %}",
  Extends: "{% extends %}",
  CallExtension: "an extension tag",
  CallExtensionAsync: "an extension tag",
};

/**
 * The first thing in a parsed template that a sandboxed template may not do, or undefined.
 *
 * @example
 * findTemplateProblem(parser.parse("{{ range.constructor }}")) // { message: "reading 'constructor' …", line: 1 }
 */
export function findTemplateProblem(root: TemplateNode): TemplateProblem | undefined {
  let found: TemplateProblem | undefined;
  const visit = (node: unknown): void => {
    if (found) return;
    // Some fields hold plain lists of nodes (`{% set a, b = … %}` targets, comparison operands).
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (!isNode(node)) return;
    const problem = problemOf(node);
    if (problem) {
      found = {
        message: problem,
        line: typeof node.lineno === "number" ? node.lineno + 1 : undefined,
      };
      return;
    }
    for (const child of node.children ?? []) visit(child);
    for (const field of node.fields ?? []) visit(node[field]);
  };
  visit(root);
  return found;
}

function problemOf(node: TemplateNode): string | undefined {
  const outside = OUTSIDE_TAGS[node.typename];
  if (outside)
    return `${outside} is not allowed in a template (templates may not read other files or run extensions)`;
  switch (node.typename) {
    case "Symbol":
      if (typeof node.value !== "string" || !NAME.test(node.value))
        return `${JSON.stringify(node.value)} is not a valid name`;
      // `{% set __proto__ = x %}` would replace the prototype of the template's variables.
      return node.value === "__proto__" ? forbiddenMember(node.value) : undefined;
    case "LookupVal": {
      const key = node.val as TemplateNode | undefined;
      if (
        key?.typename === "Literal" &&
        typeof key.value === "string" &&
        FORBIDDEN_MEMBERS.has(key.value)
      )
        return forbiddenMember(key.value);
      return undefined;
    }
    case "FunCall":
    case "Filter":
    case "FilterAsync": {
      const name = callName(node.name);
      // nunjucks writes this name into the generated code between quotes, escaping only the quotes.
      return /[\\\n\r\u2028\u2029]/.test(name)
        ? `the call ${JSON.stringify(name)} has a name nunjucks cannot compile safely`
        : undefined;
    }
    case "Is": {
      const right = node.right as TemplateNode | undefined;
      const test = right?.typename === "FunCall" ? (right.name as TemplateNode | undefined) : right;
      return test?.typename === "Symbol" ? undefined : "the test after 'is' must be a plain name";
    }
    case "Set":
      return (node.targets as TemplateNode[]).every(isSymbol)
        ? undefined
        : "{% set %} must assign to plain names";
    case "For":
    case "AsyncEach":
    case "AsyncAll": {
      const name = node.name as TemplateNode;
      const ok =
        isSymbol(name) || (name.typename === "Array" && (name.children ?? []).every(isSymbol));
      return ok ? undefined : "{% for %} must loop over plain names";
    }
    case "Macro":
    case "Caller": {
      // nunjucks turns argument names into JavaScript parameter names and quoted keys.
      const args = (node.args as TemplateNode | undefined)?.children ?? [];
      const plain = args.every(
        (a) =>
          isSymbol(a) ||
          (a.typename === "KeywordArgs" &&
            (a.children ?? []).every((p) => isSymbol(p.key as TemplateNode))),
      );
      return isSymbol(node.name as TemplateNode) && plain
        ? undefined
        : `a ${node.typename.toLowerCase()} must have a plain name and plain argument names`;
    }
    case "Block":
      return isSymbol(node.name as TemplateNode) ? undefined : "a block must have a plain name";
    default:
      return undefined;
  }
}

/** The text nunjucks derives for a called expression (as its `_getNodeName` does). */
function callName(node: unknown): string {
  if (!isNode(node)) return "";
  if (node.typename === "Symbol") return String(node.value);
  if (node.typename === "FunCall") return `the return value of (${callName(node.name)})`;
  if (node.typename === "LookupVal") return `${callName(node.target)}["${callName(node.val)}"]`;
  if (node.typename === "Literal") return String(node.value);
  return "--expression--";
}

/** The message for a forbidden member name. */
export function forbiddenMember(name: string): string {
  return `reading '${name}' is not allowed in a template (it leads to constructors, prototypes or the JavaScript runtime)`;
}

function isSymbol(node: TemplateNode | undefined): boolean {
  return node?.typename === "Symbol";
}

function isNode(value: unknown): value is TemplateNode {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { typename?: unknown }).typename === "string"
  );
}
