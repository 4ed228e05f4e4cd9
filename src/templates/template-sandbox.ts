import { createRequire } from "node:module";
import type nunjucks from "nunjucks";
import {
  FORBIDDEN_MEMBERS,
  findTemplateProblem,
  forbiddenMember,
  type TemplateNode,
  type TemplateProblem,
} from "./template-check.js";

/**
 * The runtime half of the template sandbox: a nunjucks environment whose compiled templates read
 * members, look up names and call functions only through checks.
 *
 * nunjucks has no sandbox of its own; a template can walk from any value to `Function` and run
 * code (`{{ range.constructor("…")() }}`). Here a template may:
 * - read data (own properties, and inherited non-function values such as `length`);
 * - call functions the variables hold as own properties, macros, the globals `range`, `cycler`
 *   and `joiner`, the built-in filters and tests, and a short list of string, array and number
 *   methods (`trim`, `split`, `join`, `toFixed`, …);
 * and nothing else: no member on the forbidden list (`constructor`, `__proto__`, …), no other
 * inherited method, no `Function`/`eval`/global object as a value, no other template file.
 */

/** Thrown by the sandbox when a template tries what it may not; `renderTemplate` turns it into a DigitError. */
export class TemplateRefusal extends Error {
  readonly problem: TemplateProblem;
  constructor(problem: TemplateProblem) {
    super(problem.message);
    this.problem = problem;
  }
}

/** A template that does not parse or fails while rendering: nunjucks' message, cleaned, and the template line (1-based). */
export class TemplateFailure extends Error {
  readonly line: number | undefined;
  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

/** A compiled template that renders its variables inside the sandbox. */
export type SandboxedTemplate = (variables: Record<string, unknown>) => string;

const SAFE_STRING_METHODS = new Set([
  "at",
  "charAt",
  "charCodeAt",
  "codePointAt",
  "concat",
  "endsWith",
  "includes",
  "indexOf",
  "lastIndexOf",
  "localeCompare",
  "match",
  "normalize",
  "padEnd",
  "padStart",
  "replace",
  "replaceAll",
  "search",
  "slice",
  "split",
  "startsWith",
  "substring",
  "toLowerCase",
  "toString",
  "toUpperCase",
  "trim",
  "trimEnd",
  "trimStart",
]);
const SAFE_ARRAY_METHODS = new Set([
  "at",
  "concat",
  "includes",
  "indexOf",
  "join",
  "lastIndexOf",
  "slice",
  "toString",
]);
const SAFE_NUMBER_METHODS = new Set(["toFixed", "toPrecision", "toString"]);

/** Values a template must never hold: each runs code or reaches everything. */
const FORBIDDEN_VALUES: ReadonlySet<unknown> = new Set<unknown>([
  Function,
  Object.getPrototypeOf(async () => undefined).constructor,
  Object.getPrototypeOf(function* () {}).constructor,
  Object.getPrototypeOf(async function* () {}).constructor,
  // biome-ignore lint/security/noGlobalEval: listed to be refused, never called
  eval,
  Object,
  Reflect,
  Proxy,
  globalThis,
  process,
  Object.prototype,
  Function.prototype,
]);

/** The member of a value a template may read, or the problem with reading it. */
function checkMember(obj: unknown, key: string | number): string | undefined {
  if (typeof key === "string" && FORBIDDEN_MEMBERS.has(key)) return forbiddenMember(key);
  const value = (obj as Record<string | number, unknown>)[key];
  if (FORBIDDEN_VALUES.has(value)) return `reading '${key}' is not allowed in a template`;
  if (typeof value !== "function") return undefined;
  if (Object.hasOwn(Object(obj), key)) return undefined;
  if (typeof key === "string" && isSafeMethod(obj, key, value)) return undefined;
  return `calling '${key}' on ${describe(obj)} is not allowed in a template (only data, macros, filters and a few string, list and number methods are)`;
}

function isSafeMethod(obj: unknown, key: string, value: unknown): boolean {
  if (typeof obj === "string" || obj instanceof String)
    return (
      SAFE_STRING_METHODS.has(key) &&
      value === (String.prototype as unknown as Record<string, unknown>)[key]
    );
  if (Array.isArray(obj))
    return (
      SAFE_ARRAY_METHODS.has(key) &&
      value === (Array.prototype as unknown as Record<string, unknown>)[key]
    );
  if (typeof obj === "number")
    return (
      SAFE_NUMBER_METHODS.has(key) &&
      value === (Number.prototype as unknown as Record<string, unknown>)[key]
    );
  return false;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "function") return "a function";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

type Runtime = typeof nunjucks.runtime & {
  memberLookup(obj: unknown, val: unknown): unknown;
  callWrap(obj: unknown, name: string, context: unknown, args: unknown[]): unknown;
  contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown;
};

interface NunjucksContext {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

const hasOwn = (obj: object, key: string): boolean => Object.hasOwn(obj, key);
interface NunjucksFrame {
  lookup(name: string): unknown;
}

/**
 * The refusal of the render under way. nunjucks rewraps errors thrown inside a template as plain
 * errors; this keeps the refusal itself (renders are synchronous, so one slot is enough), and a
 * render that refused fails even if something along the way swallowed the error.
 */
let refused: TemplateRefusal | undefined;

/** The nunjucks runtime with checked member reads, name lookups and calls. */
function sandboxRuntime(base: Runtime): Runtime {
  const refuse = (message: string): never => {
    throw (refused = new TemplateRefusal({ message, line: undefined }));
  };
  return Object.freeze({
    ...base,
    memberLookup(obj: unknown, val: unknown): unknown {
      if (obj === undefined || obj === null) return undefined;
      // Turned into a key once: a value whose toString answers differently each time cannot pass the check with one name and be read with another.
      const key = typeof val === "number" ? val : String(val);
      const problem = checkMember(obj, key);
      if (problem) refuse(problem);
      // nunjucks' own lookup, so a function member prints exactly as before.
      return base.memberLookup(obj, key);
    },
    contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown {
      // Only the template's own names, the variables' own keys and the globals: never something
      // the variables object inherits (`constructor`, `valueOf`, or whatever a data key named
      // `__proto__` made its prototype).
      let value = (frame as NunjucksFrame).lookup(name);
      if (value === undefined) {
        const { ctx, env } = context as NunjucksContext;
        if (hasOwn(ctx, name)) value = ctx[name];
        else if (hasOwn(env.globals, name)) value = env.globals[name];
        else if (name in Object.prototype)
          refuse(`the name '${name}' is not allowed in a template unless the variables define it`);
      }
      if (FORBIDDEN_VALUES.has(value))
        refuse(`the value of '${name}' is not allowed in a template`);
      return value;
    },
    callWrap(obj: unknown, name: string, context: unknown, args: unknown[]): unknown {
      if (FORBIDDEN_VALUES.has(obj)) refuse(`calling '${name}' is not allowed in a template`);
      return base.callWrap(obj, name, context, args);
    },
  });
}

interface Sandbox {
  nj: typeof nunjucks;
  env: nunjucks.Environment;
  runtime: Runtime;
}

let sandbox: Sandbox | undefined;

/** nunjucks (loaded on first use) with a sandboxed environment: no loaders, checked filters and tests. */
function getSandbox(): Sandbox {
  if (sandbox) return sandbox;
  const nj = createRequire(import.meta.url)("nunjucks") as typeof nunjucks;
  // No loaders: `include`, `import` and `extends` find nothing (and are refused before compiling).
  const env = new nj.Environment([], {
    autoescape: false,
    throwOnUndefined: false,
    trimBlocks: false,
  });
  const refuseNamed = (kind: string, table: Record<string, unknown>, name: string): unknown => {
    // Filters and tests live in plain objects: `x | constructor` would otherwise find Object.
    if (!Object.hasOwn(table, name))
      throw (refused = new TemplateRefusal({
        message: `unknown ${kind} '${name}'`,
        line: undefined,
      }));
    return table[name];
  };
  const tables = env as unknown as {
    filters: Record<string, unknown>;
    tests: Record<string, unknown>;
  };
  Object.assign(env, {
    getFilter: (name: string) => refuseNamed("filter", tables.filters, name),
    getTest: (name: string) => refuseNamed("test", tables.tests, name),
    getTemplate: () => {
      throw (refused = new TemplateRefusal({
        message: "templates may not read other templates",
        line: undefined,
      }));
    },
  });
  sandbox = { nj, env, runtime: sandboxRuntime(nj.runtime as Runtime) };
  return sandbox;
}

/**
 * Compile a template for the sandbox. Throws a TemplateRefusal when the template itself does what
 * templates may not, and nunjucks' own error when it does not parse.
 *
 * @example
 * compileSandboxed("{{ name | upper }}")({ name: "x" }) // "X"
 */
export function compileSandboxed(template: string): SandboxedTemplate {
  const { nj, env, runtime } = getSandbox();
  const parser = (
    nj as unknown as {
      parser: { parse(src: string, extensions: unknown[], opts: unknown): unknown };
    }
  ).parser;
  let tree: TemplateNode;
  try {
    tree = parser.parse(template, [], (env as unknown as { opts: unknown }).opts) as TemplateNode;
  } catch (e) {
    throw failure(e, 0);
  }
  const problem = findTemplateProblem(tree);
  if (problem) throw new TemplateRefusal(problem);
  let t: nunjucks.Template & { rootRenderFunc: RootRender };
  try {
    t = new nj.Template(template, env, undefined, true) as typeof t;
  } catch (e) {
    throw failure(e, 0);
  }
  // The compiled code takes its runtime as an argument and passes it on to blocks and macros.
  const root = t.rootRenderFunc;
  t.rootRenderFunc = (e, context, frame, _runtime, cb) => root(e, context, frame, runtime, cb);
  return (variables) => {
    refused = undefined;
    let out: string;
    try {
      out = t.render(variables);
    } catch (e) {
      // Errors raised while rendering carry nunjucks' 0-based line.
      const refusal = takeRefusal();
      if (refusal)
        throw new TemplateRefusal({ message: refusal.message, line: plusOne(lineOf(e)) });
      throw failure(e, 1);
    }
    const refusal = takeRefusal();
    if (refusal) throw refusal;
    return out;
  };
}

function takeRefusal(): TemplateRefusal | undefined {
  const r = refused;
  refused = undefined;
  return r;
}

/** A nunjucks error as a TemplateFailure; `offset` turns its line 1-based. */
function failure(e: unknown, offset: number): TemplateFailure {
  if (!(e instanceof Error)) return new TemplateFailure(String(e), undefined);
  const lineno = (e as { lineno?: unknown }).lineno;
  const line = lineOf(e) ?? (typeof lineno === "number" ? lineno : undefined);
  // nunjucks' message: "(unknown path) [Line 1, Column 3]\n  Error: what went wrong".
  const message = e.message
    .replace(/^\(unknown path\)\s*/, "")
    .replace(/^\[Line \d+, Column \d+\]\s*/, "")
    .replace(/^\w*Error: /, "")
    .trim();
  return new TemplateFailure(message, line === undefined ? undefined : line + offset);
}

function plusOne(line: number | undefined): number | undefined {
  return line === undefined ? undefined : line + 1;
}

/** The line number in a nunjucks error message, if it names one. */
function lineOf(error: unknown): number | undefined {
  const m = /\[Line (\d+), Column \d+\]/.exec(error instanceof Error ? error.message : "");
  return m ? Number(m[1]) : undefined;
}

type RootRender = (
  env: unknown,
  context: unknown,
  frame: unknown,
  runtime: unknown,
  cb: unknown,
) => void;
