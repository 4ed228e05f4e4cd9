import type { z } from "zod";
import { ConfigError } from "../errors.js";
import { closest } from "../util/did-you-mean.js";
import { derivedDeep, positionAtPath } from "./source-map.js";

/**
 * Validate `value` with `schema`; on failure throw one ConfigError for the first issue, naming the
 * file and line the offending key came from and, for unknown keys, the closest known key.
 *
 * @example
 * const task = parseWith(taskSchema, raw, "task", "tasks/qa/task.yaml");
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  fallbackFile?: string,
): z.output<S> {
  const result = schema.safeParse(value);
  // zod returns new objects: link them to the loaded ones so later errors still have lines.
  if (result.success) return derivedDeep(result.data, value);
  throw issueToError(result.error.issues[0]!, value, what, schema, fallbackFile);
}

function issueToError(
  issue: z.core.$ZodIssue,
  root: unknown,
  what: string,
  schema: z.ZodType,
  fallbackFile?: string,
): ConfigError {
  const path = issue.path.map(String);
  const where = positionAtPath(
    root,
    issue.code === "unrecognized_keys" ? [...path, issue.keys[0]!] : path,
  );
  const file = where?.file ?? fallbackFile;
  const line = where?.line || undefined;
  const at = path.length ? ` at '${path.join(".")}'` : "";
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(schema, path);
    const key = issue.keys[0]!;
    const near = closest(key, known);
    return new ConfigError(`unknown key '${key}' in ${what}${at}`, {
      file,
      line,
      hint: `${near ? `did you mean '${near}'? ` : ""}known keys: ${known.join(", ")}`,
    });
  }
  if (issue.code === "invalid_type") {
    // zod does not report the input by default: look the value up.
    const value = valueAt(root, path);
    const key = path[path.length - 1] ?? "?";
    if (value === undefined)
      return new ConfigError(`missing required key '${key}' in ${what}`, {
        file,
        line,
        hint: `add '${key}: ...'`,
      });
    const expected = EXPECTED[issue.expected] ?? issue.expected;
    return new ConfigError(
      `'${path.join(".")}' in ${what} must be ${expected}, not ${kindOf(value)}`,
      { file, line, hint: `write '${key}' as ${expected}` },
    );
  }
  return new ConfigError(`invalid ${what}${at}: ${issue.message}`, { file, line });
}

/** How a YAML author would call what a schema expects. */
const EXPECTED: Record<string, string> = {
  array: "a list",
  object: "a mapping (key: value lines)",
  record: "a mapping (key: value lines)",
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

function valueAt(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * What a YAML value is, in the words config errors use.
 *
 * @example
 * kindOf([1]) // "a list"
 * kindOf(42) // "the number 42"
 */
export function kindOf(value: unknown): string {
  if (value === null) return "empty (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === "number" ? "the number" : typeof value === "boolean" ? "" : typeof value} ${String(value)}`.trim();
}

/** The keys an object schema at `path` accepts (best effort, for suggestions). */
function knownKeys(schema: z.ZodType, path: readonly string[]): string[] {
  let s: unknown = schema;
  for (const key of path) {
    const shape = shapeOf(s);
    if (shape && key in shape) s = shape[key];
    else {
      const inner = unwrap(s);
      s =
        inner && typeof inner === "object" && "element" in (inner as object)
          ? (inner as { element: unknown }).element
          : inner;
      if (/^\d+$/.test(key)) continue;
      const sh = shapeOf(s);
      s = sh?.[key];
    }
  }
  return Object.keys(shapeOf(s) ?? {}).sort();
}

function unwrap(s: unknown): unknown {
  let cur = s as
    | { _zod?: { def?: { innerType?: unknown; type?: string; element?: unknown } } }
    | undefined;
  for (let i = 0; i < 10 && cur?._zod?.def?.innerType; i++)
    cur = cur._zod.def.innerType as typeof cur;
  if (cur?._zod?.def?.type === "array") return { element: unwrap(cur._zod.def.element) };
  return cur;
}

function shapeOf(s: unknown): Record<string, unknown> | undefined {
  const inner = unwrap(s) as { shape?: Record<string, unknown> } | undefined;
  return inner && typeof inner === "object" && "shape" in inner ? inner.shape : undefined;
}
