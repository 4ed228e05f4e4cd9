import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { MissingFileError, ToolDefinitionError } from "../../errors.js";
import { isObj, type Row } from "../../util/mapping.js";
import { toolFromDict } from "../tool-dict.js";
import { DEFAULT_NAMESPACE, type Tool } from "../types.js";
import { defineLoader } from "./loader.js";

const schema = z.object({
  spec: z
    .string()
    .min(1)
    .describe("An OpenAPI 3 (or Swagger 2) document: a .yaml/.json file or an http(s) URL"),
  namespace: z.string().min(1).default(DEFAULT_NAMESPACE).describe("Namespace of its operations"),
  base_url: z.string().optional().describe("Server URL (else the document's first server)"),
  bearer_token: z.string().optional().describe("Sent when fetching the document from a URL"),
  timeout: z.number().positive().default(10).describe("Seconds to fetch the document"),
  operation_ids: z.array(z.string()).optional().describe("Load only these operations"),
});

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

async function readSpec(c: z.infer<typeof schema>): Promise<Row> {
  let text: string;
  if (/^https?:\/\//.test(c.spec)) {
    const res = await fetch(c.spec, {
      headers: c.bearer_token ? { authorization: `Bearer ${c.bearer_token}` } : {},
      signal: AbortSignal.timeout(c.timeout * 1000),
    });
    if (!res.ok) throw new ToolDefinitionError(`OpenAPI document ${c.spec}: HTTP ${res.status}`);
    text = await res.text();
  } else {
    if (!existsSync(c.spec)) throw new MissingFileError(c.spec, "OpenAPI document");
    text = readFileSync(c.spec, "utf8");
  }
  try {
    const v: unknown = extname(c.spec).toLowerCase() === ".json" ? JSON.parse(text) : parse(text);
    if (!isObj(v)) throw new Error("not a mapping");
    return v;
  } catch (e) {
    throw new ToolDefinitionError(
      `OpenAPI document '${c.spec}' does not parse: ${(e as Error).message}`,
    );
  }
}

function serverUrl(doc: Row): string {
  const servers = doc.servers;
  if (Array.isArray(servers) && isObj(servers[0]))
    return String(servers[0].url ?? "").replace(/\/+$/, "");
  if (typeof doc.host === "string") {
    const scheme = Array.isArray(doc.schemes) && doc.schemes[0] ? String(doc.schemes[0]) : "https";
    return `${scheme}://${doc.host}${String(doc.basePath ?? "")}`.replace(/\/+$/, "");
  }
  return "";
}

/**
 * One OpenAPI operation as a tool: path, query and body parameters merged into one JSON Schema
 * object, the 200/201 JSON response schema as output_parameters, and in metadata where each
 * argument goes (DiGiT's rest_* keys).
 *
 * @example
 * operationTool("/orders/{id}", "get", op, pathItem, "https://api", "shop", "spec.yaml")
 */
export function operationTool(
  path: string,
  method: string,
  op: Row,
  item: Row,
  base: string,
  ns: string,
  where: string,
): Tool | undefined {
  const params = new Map<string, Row>();
  for (const p of [
    ...(Array.isArray(item.parameters) ? item.parameters : []),
    ...(Array.isArray(op.parameters) ? op.parameters : []),
  ]) {
    if (isObj(p) && typeof p.name === "string" && !("$ref" in p)) params.set(p.name, p);
  }
  const properties: Row = {};
  const required: string[] = [];
  const locations: Record<string, string> = {};
  for (const [name, p] of params) {
    const loc = String(p.in ?? "query");
    locations[name] = loc;
    properties[name] = {
      description: p.description ?? "",
      ...(isObj(p.schema) ? p.schema : { type: p.type ?? "string" }),
    };
    if (p.required === true || loc === "path") required.push(name);
  }
  const body =
    isObj(op.requestBody) && isObj(op.requestBody.content)
      ? (op.requestBody.content as Row)["application/json"]
      : undefined;
  const bodySchema = isObj(body) && isObj(body.schema) ? body.schema : undefined;
  for (const [name, s] of Object.entries(
    isObj(bodySchema?.properties) ? bodySchema!.properties : {},
  )) {
    properties[name] = s;
    locations[name] = "body";
  }
  for (const r of Array.isArray(bodySchema?.required) ? bodySchema!.required : [])
    if (!required.includes(String(r))) required.push(String(r));
  if (!Object.keys(properties).length) return undefined;
  const responses = isObj(op.responses) ? op.responses : {};
  const ok = (responses["200"] ?? responses["201"]) as Row | undefined;
  const okJson = ok && isObj(ok.content) ? (ok.content as Row)["application/json"] : undefined;
  const out =
    isObj(okJson) && isObj(okJson.schema) && !("$ref" in okJson.schema) ? okJson.schema : {};
  const slug = path
    .replace(/^\/+|\/+$/g, "")
    .replace(/\//g, "_")
    .replace(/[{}]/g, "");
  return toolFromDict(
    {
      name:
        typeof op.operationId === "string" ? op.operationId : slug ? `${method}_${slug}` : method,
      description: op.summary ?? op.description ?? "",
      parameters: { type: "object", properties, ...(required.length ? { required } : {}) },
      output_parameters: out,
      metadata: {
        rest_base_url: base,
        rest_method: method.toUpperCase(),
        rest_path: path,
        rest_param_locations: locations,
      },
    },
    ns,
    where,
  );
}

/** `type: rest`: one tool per operation of an OpenAPI document (DiGiT's RESTToolLoader). */
export const restLoader = defineLoader({
  schema,
  create: (c, ctx) => ({
    async load() {
      const doc = await readSpec(c);
      const base = (c.base_url ?? serverUrl(doc)).replace(/\/+$/, "");
      const tools: Tool[] = [];
      for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
        if (!isObj(item)) continue;
        for (const m of METHODS) {
          const op = item[m];
          if (!isObj(op) || (c.operation_ids && !c.operation_ids.includes(String(op.operationId))))
            continue;
          const t = operationTool(path, m, op, item, base, c.namespace, `${ctx.where} (${c.spec})`);
          if (t) tools.push(t);
        }
      }
      return tools;
    },
  }),
});
