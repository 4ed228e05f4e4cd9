import { z } from "zod";

type Json = Record<string, unknown>;

/** One config key, as `digit describe` shows it. */
export interface KeyDescription {
  key: string;
  type: string;
  required: boolean;
  /** The schema's default as JSON, or "" when it has none. */
  default: string;
  /** The schema's `.describe()` text, or "". */
  description: string;
}

/**
 * The keys of a zod object shape with their types, defaults and descriptions, read from the JSON
 * Schema zod produces (so they are exactly what the checks use).
 *
 * @example
 * describeShape({ latency_ms: z.number().default(0).describe("delay per reply") })
 * // [{ key: "latency_ms", type: "number", required: false, default: "0", description: "delay per reply" }]
 */
export function describeShape(shape: z.ZodRawShape): KeyDescription[] {
  return describeJsonSchema(
    z.toJSONSchema(z.object(shape), { io: "input", unrepresentable: "any" }) as Json,
  );
}

/** The properties of an object JSON Schema as key descriptions. */
export function describeJsonSchema(schema: Json): KeyDescription[] {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([key, p]) => ({
    key,
    type: typeName(p),
    required: required.has(key) && !("default" in p),
    default: "default" in p ? JSON.stringify(p.default) : "",
    description: typeof p.description === "string" ? p.description : "",
  }));
}

/** A short type name from a JSON Schema fragment: string, number, string[], (a | b)[], map<string>, a | b. */
export function typeName(p: Json): string {
  if (Array.isArray(p.anyOf) || Array.isArray(p.oneOf)) {
    const parts = ((p.anyOf ?? p.oneOf) as Json[]).map(typeName).filter((t) => t !== "null");
    return [...new Set(parts)].join(" | ") || "null";
  }
  if (p.const !== undefined) return JSON.stringify(p.const);
  if (Array.isArray(p.enum)) return (p.enum as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  const t = p.type;
  if (t === "array") {
    const item = p.items ? typeName(p.items as Json) : "any";
    return item.includes(" | ") ? `(${item})[]` : `${item}[]`;
  }
  if (t === "object") {
    if (p.properties) return "object";
    const ap = p.additionalProperties;
    return ap && typeof ap === "object" && Object.keys(ap).length
      ? `map<${typeName(ap as Json)}>`
      : "map";
  }
  if (Array.isArray(t)) return t.filter((x) => x !== "null").join(" | ") || "null";
  if (typeof t === "string") return t;
  return "any";
}
