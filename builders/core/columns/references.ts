import nunjucks from "nunjucks";

/** A node of nunjucks' syntax tree, as far as this walk reads it. */
interface Node {
  typename: string;
  fields?: readonly string[];
  children?: Node[];
  value?: unknown;
  [field: string]: unknown;
}

/** Names nunjucks provides itself: never columns. */
const GLOBALS = new Set([
  "range",
  "cycler",
  "joiner",
  "loop",
  "caller",
  "super",
  "true",
  "false",
  "none",
  "None",
  "True",
  "False",
]);

const parser = (nunjucks as unknown as { parser: { parse(src: string): Node } }).parser;

/**
 * The top-level variables a template reads (`{{ a.b }}` reads `a`), without names the template
 * binds itself (`{% for x in ... %}`, `{% set y = ... %}`) or nunjucks' globals. A template that
 * does not parse reads nothing here; compiling it reports the syntax error.
 *
 * @example
 * templateReferences("{{ question }} {% for s in scores %}{{ s }}{% endfor %}") // ["question", "scores"]
 */
export function templateReferences(template: string): string[] {
  let root: Node;
  try {
    root = parser.parse(template);
  } catch {
    return [];
  }
  const found = new Set<string>();
  const bound = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    const n = node as Node;
    switch (n.typename) {
      case "Symbol":
        if (typeof n.value === "string") found.add(n.value);
        return;
      case "Filter":
      case "FilterAsync":
        walk(n.args);
        return;
      case "Is":
        walk(n.left);
        return;
      case "For":
      case "AsyncEach":
      case "AsyncAll":
        bind(n.name);
        walk(n.arr);
        walk(n.body);
        walk(n.else_);
        return;
      case "Set":
        bind(n.targets);
        walk(n.value);
        walk(n.body);
        return;
      case "Macro":
        bind(n.name);
        walk(n.body);
        return;
      case "KeywordArgs":
      case "Dict":
        for (const c of n.children ?? []) walk((c as Node).value);
        return;
      default:
        for (const f of n.fields ?? []) if (f !== "children") walk(n[f]);
        walk(n.children);
    }
  };
  const bind = (target: unknown): void => {
    if (Array.isArray(target)) target.forEach(bind);
    else if (target && typeof target === "object") {
      const t = target as Node;
      if (t.typename === "Symbol" && typeof t.value === "string") bound.add(t.value);
      else bind(t.children);
    }
  };
  walk(root);
  return [...found].filter((name) => !bound.has(name) && !GLOBALS.has(name));
}
