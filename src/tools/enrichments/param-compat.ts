import { isObj } from "../../util/mapping.js";

/**
 * The JSON Schema type of a parameter: its `type`, the first non-null entry of a type list, or
 * `""` when it declares none.
 *
 * @example
 * paramType({ type: ["string", "null"] }) // "string"
 */
export function paramType(info: unknown): string {
  if (!isObj(info)) return "";
  const t = info.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return String(t.find((x) => x !== "null") ?? "");
  return "";
}

/**
 * The text a parameter is embedded as for dataflow matching: its name, type and description
 * (the type helps tell structurally different parameters apart).
 *
 * @example
 * paramText("city", { type: "string", description: "City name" })
 * // "Name: city\nType: string\nDescription: City name"
 */
export function paramText(name: string, info: unknown): string {
  if (!isObj(info)) return `Name: ${name}`;
  const description = typeof info.description === "string" ? info.description : "";
  return `Name: ${name}\nType: ${paramType(info)}\nDescription: ${description}`;
}

function propertyNames(info: unknown): Set<string> {
  const p = isObj(info) ? info.properties : undefined;
  return new Set(isObj(p) ? Object.keys(p) : []);
}

/**
 * How well an output parameter's type can feed an input parameter's, in [0, 1] (DiGiT's
 * rules): an array never feeds a non-array nor the reverse (0); two objects with declared
 * properties fit when they share one (0.9, else 0), an object without properties is opaque
 * (0.7); the same type fits (1); integer and number fit partly (0.8); any other pair does not (0).
 *
 * @example
 * typeMultiplier({ type: "integer" }, { type: "number" }) // 0.8
 * typeMultiplier({ type: "array" }, { type: "string" }) // 0
 */
export function typeMultiplier(out: unknown, into: unknown): number {
  const a = paramType(out);
  const b = paramType(into);
  if ((a === "array") !== (b === "array")) return 0;
  if (a === "object" && b === "object") {
    const pa = propertyNames(out);
    const pb = propertyNames(into);
    if (!pa.size || !pb.size) return 0.7;
    for (const k of pa) if (pb.has(k)) return 0.9;
    return 0;
  }
  if (a === b) return 1;
  if ((a === "integer" && b === "number") || (a === "number" && b === "integer")) return 0.8;
  return 0;
}
