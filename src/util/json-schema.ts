import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { ToolDefinitionError } from "../errors.js";
import type { Row } from "./mapping.js";

// ajv ships CommonJS; load its constructor the way Node's ESM loader sees it.
const AjvClass = createRequire(import.meta.url)("ajv") as typeof import("ajv").default;
const ajv = new AjvClass({ strict: false, allErrors: true, validateSchema: true });
const compiled = new WeakMap<object, ValidateFunction>();

/**
 * Compile a JSON Schema (cached per schema object). A schema that is not a JSON Schema throws a
 * ToolDefinitionError naming `where`.
 *
 * @example
 * const check = compileSchema({ type: "object", properties: { a: { type: "integer" } } }, "add");
 * check({ a: 1 }) // true
 */
export function compileSchema(schema: Row, where: string): ValidateFunction {
  const hit = compiled.get(schema);
  if (hit) return hit;
  let fn: ValidateFunction;
  try {
    fn = ajv.compile(schema);
  } catch (e) {
    throw new ToolDefinitionError(`${where}: not a JSON Schema: ${(e as Error).message}`, {
      hint: "use standard JSON Schema keywords: type, properties, required, items, enum",
    });
  }
  compiled.set(schema, fn);
  return fn;
}

/**
 * One schema violation: where in the value and what.
 *
 * @example
 * const v: SchemaViolation = { path: "/a", message: "must be integer", value: "x" };
 */
export interface SchemaViolation {
  path: string;
  message: string;
  value: unknown;
}

/**
 * Check a value against a schema; the violations (none when it fits).
 *
 * @example
 * violations({ type: "integer" }, "x", "n")[0].message // "must be integer"
 */
export function violations(schema: Row, value: unknown, where: string): SchemaViolation[] {
  const fn = compileSchema(schema, where);
  if (fn(value)) return [];
  return (fn.errors ?? []).map((e: ErrorObject) => ({
    path: e.instancePath,
    message: e.message ?? e.keyword,
    value: valueAt(value, e.instancePath),
  }));
}

/** The value at a JSON pointer. */
function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    v = v && typeof v === "object" ? (v as Row)[key] : undefined;
  }
  return v;
}

/**
 * Check that a value is a JSON Schema (against the meta-schema) without compiling it.
 *
 * @example
 * checkSchema({ type: "object" }, "tool 'add' parameters") // ok
 * checkSchema({ type: 3 }, "x") // throws ToolDefinitionError
 */
export function checkSchema(schema: unknown, where: string): void {
  const good =
    schema !== null &&
    typeof schema === "object" &&
    !Array.isArray(schema) &&
    ajv.validateSchema(schema) === true;
  if (good) return;
  const why = ajv.errorsText(ajv.errors ?? [], { dataVar: "schema" });
  throw new ToolDefinitionError(
    `${where}: not a JSON Schema (${Array.isArray(schema) || typeof schema !== "object" ? "not an object" : why})`,
    {
      hint: "use standard JSON Schema keywords: type, properties, required, items, enum",
    },
  );
}
