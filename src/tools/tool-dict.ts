import { ToolDefinitionError } from "../errors.js";
import { checkSchema } from "../util/json-schema.js";
import type { Row } from "../util/mapping.js";
import { isObj } from "../util/mapping.js";
import { DEFAULT_NAMESPACE, type Tool } from "./types.js";

/**
 * A tool from its DiGiT dict (`name`, `description`, `parameters`, `output_parameters`,
 * `metadata`; a `namespace` key wins over `namespace`). Schemas are checked against the JSON
 * Schema meta-schema; `where` names the source in errors.
 *
 * @example
 * toolFromDict({ name: "add", parameters: { type: "object" } }, "math", "tools.yaml")
 */
export function toolFromDict(d: unknown, namespace: string | undefined, where: string): Tool {
  if (!isObj(d))
    throw new ToolDefinitionError(`${where}: a tool must be a mapping, got ${kind(d)}`);
  if (typeof d.name !== "string" || !d.name) {
    throw new ToolDefinitionError(`${where}: a tool has no 'name'`, {
      hint: "every tool needs name, description and parameters (a JSON Schema)",
    });
  }
  const at = `${where}: tool '${d.name}'`;
  const params = d.parameters ?? {};
  const out = d.output_parameters ?? {};
  checkSchema(params, `${at} parameters`);
  if (!isObj(out) || Object.keys(out).length) checkSchema(out, `${at} output_parameters`);
  if (d.description != null && typeof d.description !== "string") {
    throw new ToolDefinitionError(`${at}: 'description' must be a string`);
  }
  const ns = typeof d.namespace === "string" && d.namespace ? d.namespace : namespace;
  return {
    name: d.name,
    namespace: ns || DEFAULT_NAMESPACE,
    description: d.description ?? "",
    parameters: params as Row,
    output_parameters: out as Row,
    metadata: isObj(d.metadata) ? d.metadata : {},
  };
}

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v;
}
