import { existsSync, readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { MissingFileError, ToolDefinitionError } from "../../errors.js";
import { isObj } from "../../util/mapping.js";
import { toolFromDict } from "../tool-dict.js";
import { DEFAULT_NAMESPACE, type Tool } from "../types.js";
import { defineLoader } from "./loader.js";

const schema = z.object({
  path: z.string().min(1).describe("A .yaml, .yml or .json tool file"),
  namespace: z.string().min(1).optional().describe("Namespace of its tools (else the file's)"),
});

/**
 * Read a DiGiT tool file: a list of tools, `{namespace: [tools]}` (every namespace in it), or
 * `{tool_name: tool}`. The entry's `namespace` wins over the file's; a file that mixes lists and
 * single tools at its top level is an error.
 *
 * @example
 * readToolFile("data/tools.yaml", "weather").length
 */
export function readToolFile(path: string, namespace?: string): Tool[] {
  if (!existsSync(path)) {
    throw new MissingFileError(path, "tool file", {
      hint: "check the path; ${DGT_DATA_DIR} is 'data' unless set",
    });
  }
  const ext = extname(path).toLowerCase();
  let raw: unknown;
  try {
    if (ext === ".yaml" || ext === ".yml") raw = parse(readFileSync(path, "utf8"));
    else if (ext === ".json") raw = JSON.parse(readFileSync(path, "utf8"));
    else
      throw new ToolDefinitionError(`tool file '${path}': unsupported format '${ext}'`, {
        hint: "use .yaml, .yml or .json",
      });
  } catch (e) {
    if (e instanceof ToolDefinitionError) throw e;
    throw new ToolDefinitionError(`tool file '${path}' does not parse: ${(e as Error).message}`, {
      file: path,
    });
  }
  if (Array.isArray(raw))
    return raw.map((d) => toolFromDict(d, namespace ?? DEFAULT_NAMESPACE, where(path)));
  if (!isObj(raw)) {
    throw new ToolDefinitionError(
      `tool file '${path}' must hold a list of tools, {namespace: [tools]} or {name: tool}`,
      { file: path },
    );
  }
  const entries = Object.entries(raw);
  const lists = entries.filter(([, v]) => Array.isArray(v));
  if (lists.length === 0) {
    return entries.map(([, d]) => toolFromDict(d, namespace ?? DEFAULT_NAMESPACE, where(path)));
  }
  if (lists.length < entries.length) {
    const other = entries.find(([, v]) => !Array.isArray(v))![0];
    throw new ToolDefinitionError(
      `tool file '${path}' mixes namespaces (lists of tools) and tools: '${other}' is not a list`,
      {
        file: path,
        hint: `give '${other}' as a list under a namespace, or use one shape for the whole file`,
      },
    );
  }
  // Every namespace of a {namespace: [tools]} file, in file order (DiGiT reads only the first).
  return entries.flatMap(([ns, dicts]) =>
    Array.isArray(dicts) ? dicts.map((d) => toolFromDict(d, namespace ?? ns, where(path))) : [],
  );
}

function where(path: string): string {
  return `tool file '${path}'`;
}

/** `type: file`: tools from a YAML or JSON file (DiGiT's FileToolLoader). */
export const fileLoader = defineLoader({
  schema,
  create: (c) => ({ load: async () => readToolFile(c.path, c.namespace) }),
});
