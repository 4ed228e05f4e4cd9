import { createHash } from "node:crypto";
import type { Row } from "../util/mapping.js";
import { isObj } from "../util/mapping.js";

/**
 * A value that fits a JSON Schema, made up deterministically from `key` (the first enum value,
 * "<name> <n>" strings, small numbers, one-item lists). Engines, enrichments and the tool-calling
 * stages attach well-formed answers built from such values to their LM requests as the row field
 * `example_answer`, so that the offline `mock` provider (`responses: ["{{example_answer}}"]`)
 * can answer them; real models never see them (they are not in the prompt).
 *
 * @example
 * exampleValue({ type: "object", properties: { city: { type: "string" } } }, "k")
 * // { city: "city 4821" }
 */
export function exampleValue(schema: unknown, key: string, name = "value", depth = 0): unknown {
  const s: Row = isObj(schema) ? schema : {};
  const n = hashInt(`${key}\u0000${name}`);
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[n % s.enum.length];
  if ("const" in s) return s.const;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  const props = isObj(s.properties) ? s.properties : undefined;
  if (type === "object" || (type === undefined && props)) {
    if (depth > 4) return {};
    const out: Row = {};
    for (const [k, v] of Object.entries(props ?? {})) out[k] = exampleValue(v, key, k, depth + 1);
    return out;
  }
  if (type === "array") return depth > 4 ? [] : [exampleValue(s.items, key, name, depth + 1)];
  if (type === "integer") return (n % 97) + 1;
  if (type === "number") return ((n % 9000) + 100) / 100;
  if (type === "boolean") return n % 2 === 0;
  if (type === "null") return null;
  if (s.format === "date" || /date/i.test(name)) return `2024-0${(n % 9) + 1}-1${n % 10}`;
  return `${name.replace(/_/g, " ")} ${n % 10000}`;
}

function hashInt(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32LE(0);
}
