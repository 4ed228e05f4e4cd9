import { createHash } from "node:crypto";
import type { Row } from "../util/mapping.js";

/** Separator of a qualified tool name: `<namespace>::<name>` (DiGiT's TOOL_NAMESPACE_SEP). */
export const NAMESPACE_SEP = "::";
/** Namespace of tools whose source names none. */
export const DEFAULT_NAMESPACE = "default";

/**
 * A tool: an OpenAI-style function schema with a namespace (DiGiT's `Tool`).
 *
 * @example
 * const t: Tool = { name: "add", namespace: "math", description: "", parameters: {},
 *   output_parameters: {}, metadata: {} };
 */
export interface Tool {
  name: string;
  namespace: string;
  description: string;
  /** JSON Schema of the arguments (`type: object`, `properties`, `required`). */
  parameters: Row;
  /** JSON Schema of the result; `{}` when unknown (the output_parameters enrichment fills it). */
  output_parameters: Row;
  metadata: Row;
}

/**
 * A call of a tool. `call_id` is DiGiT's `id` (e.g. "$1"); arguments may reference earlier
 * results as "$1.field".
 *
 * @example
 * const c: ToolCall = { name: "add", namespace: "math", arguments: { a: 1, b: 2 }, call_id: "$1" };
 */
export interface ToolCall {
  name: string;
  namespace: string;
  arguments: Row;
  call_id?: string | null;
}

/**
 * What executing a call produced: a result, or an error message (never both set by engines).
 *
 * @example
 * const r: ToolResult = { call_id: "$1", name: "add", result: { sum: 3 } };
 */
export interface ToolResult {
  call_id: string | null;
  name: string;
  result?: unknown;
  error?: string | null;
  /**
   * The engine could not run the call at all (its server went away or could not be reached), as
   * opposed to the tool answering with an error: the record the call served fails.
   */
  unreachable?: boolean | undefined;
  metadata?: Row;
}

/**
 * `<namespace>::<name>`.
 *
 * @example
 * qualifiedName({ name: "add", namespace: "math" }) // "math::add"
 */
export function qualifiedName(t: { name: string; namespace: string }): string {
  return `${t.namespace}${NAMESPACE_SEP}${t.name}`;
}

/**
 * JSON with object keys sorted at every depth (for fingerprints).
 *
 * @example
 * sortedJson({ b: 1, a: 2 }) // '{"a":2,"b":1}'
 */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Row).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

/**
 * SHA-256 of a schema's sorted JSON: tells overloads (same name, other parameters) apart.
 *
 * @example
 * schemaFingerprint({ type: "object" }).length // 64
 */
export function schemaFingerprint(schema: unknown): string {
  return createHash("sha256")
    .update(sortedJson(schema ?? {}))
    .digest("hex");
}

/**
 * A tool as DiGiT serialises it: name, namespace, description, parameters, then
 * output_parameters and metadata when not empty; `keep` limits the keys.
 *
 * @example
 * toolToDict(tool, ["name", "parameters"]) // { name: "add", parameters: {...} }
 */
export function toolToDict(tool: Tool, keep?: readonly string[]): Row {
  const d: Row = {
    name: tool.name,
    namespace: tool.namespace,
    description: tool.description,
    parameters: tool.parameters,
  };
  if (Object.keys(tool.output_parameters).length) d.output_parameters = tool.output_parameters;
  if (Object.keys(tool.metadata).length) d.metadata = tool.metadata;
  return keep ? Object.fromEntries(Object.entries(d).filter(([k]) => keep.includes(k))) : d;
}

/**
 * A call as DiGiT serialises it: `{name, arguments, id?}` (`keep` limits the keys).
 *
 * @example
 * callToDict({ name: "add", namespace: "m", arguments: {}, call_id: "$1" }) // { name, arguments, id }
 */
export function callToDict(call: ToolCall, keep?: readonly string[]): Row {
  const d: Row = { name: call.name, arguments: call.arguments };
  if (call.call_id != null) d.id = call.call_id;
  return keep ? Object.fromEntries(Object.entries(d).filter(([k]) => keep.includes(k))) : d;
}

/**
 * A result as DiGiT serialises it: `{id, name, result, error?, metadata?}`.
 *
 * @example
 * resultToDict({ call_id: "$1", name: "add", result: 3 }) // { id: "$1", name: "add", result: 3 }
 */
export function resultToDict(r: ToolResult): Row {
  const d: Row = { id: r.call_id, name: r.name, result: r.result ?? null };
  if (r.error != null) d.error = r.error;
  if (r.metadata && Object.keys(r.metadata).length) d.metadata = r.metadata;
  return d;
}
