/**
 * Structured-output requests to the fake LLM server: the JSON Schema a request asks the reply to
 * fit (OpenAI's `response_format`, Anthropic's `output_config.format`, Ollama's `format`), and a
 * JSON value that fits it, varied by the answer number, so clients of structured output run
 * against the server without a script.
 */
import type { FakeRequest } from "./types.js";

type Schema = Record<string, unknown>;

/**
 * The JSON Schema a request's body asks the answer to fit, if any.
 *
 * @example
 * requestedSchema("openai", { response_format: { type: "json_schema", json_schema: { schema: { type: "object" } } } }) // { type: "object" }
 */
export function requestedSchema(
  protocol: FakeRequest["protocol"],
  body: Record<string, unknown>,
): Schema | undefined {
  const obj = (v: unknown): Schema | undefined =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Schema) : undefined;
  if (protocol === "openai") {
    const rf = obj(body.response_format);
    return rf?.type === "json_schema" ? obj(obj(rf.json_schema)?.schema) : undefined;
  }
  if (protocol === "anthropic") {
    const format = obj(obj(body.output_config)?.format);
    return format?.type === "json_schema" ? obj(format.schema) : undefined;
  }
  if (protocol === "ollama") return obj(body.format);
  return undefined;
}

/**
 * A value that fits `schema` (the common keywords: type, properties, required, items, enum,
 * const, minimum/maximum, minLength/maxLength, minItems), varied by `n`.
 *
 * @example
 * exampleFor({ type: "object", properties: { score: { enum: [1, 2, 3] } } }, 2) // { score: 3 }
 */
export function exampleFor(schema: Schema, n: number): unknown {
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[n % schema.enum.length];
  const anyOf = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(anyOf) && anyOf.length) return exampleFor(anyOf[0]!, n);
  const type = Array.isArray(schema.type)
    ? schema.type[0]
    : (schema.type ?? (schema.properties ? "object" : "string"));
  switch (type) {
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(props).map(([k, s]) => [k, exampleFor(s, n)]));
    }
    case "array": {
      const count = Math.max(1, Number(schema.minItems ?? 1));
      return Array.from({ length: count }, (_, i) =>
        exampleFor((schema.items ?? {}) as Schema, n + i),
      );
    }
    case "integer":
    case "number": {
      const lo = Number(
        schema.minimum ??
          (schema.exclusiveMinimum !== undefined ? Number(schema.exclusiveMinimum) + 1 : 1),
      );
      const hi = Number(
        schema.maximum ??
          (schema.exclusiveMaximum !== undefined ? Number(schema.exclusiveMaximum) - 1 : lo + 4),
      );
      return Math.min(hi, lo + (n % Math.max(1, Math.floor(hi - lo) + 1)));
    }
    case "boolean":
      return n % 2 === 0;
    case "null":
      return null;
    default: {
      const min = Number(schema.minLength ?? 0);
      const max = Number(schema.maxLength ?? 200);
      let text = `Fake value ${n} for this field.`;
      while (text.length < min) text += " More fake text.";
      return text.slice(0, max);
    }
  }
}
