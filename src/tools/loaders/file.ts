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
 * Read a DiGiT tool file: a list of tools, `{namespace: [tools]}`, or `{tool_name: tool}`.
 * The entry's `namespace` wins over the file's.
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
  let dicts: unknown[];
  let fileNs = DEFAULT_NAMESPACE;
  if (Array.isArray(raw)) dicts = raw;
  else if (isObj(raw)) {
    const first = Object.values(raw)[0];
    if (Array.isArray(first)) {
      fileNs = Object.keys(raw)[0]!;
      dicts = first;
    } else dicts = Object.values(raw);
  } else {
    throw new ToolDefinitionError(
      `tool file '${path}' must hold a list of tools, {namespace: [tools]} or {name: tool}`,
      { file: path },
    );
  }
  return dicts.map((d) => toolFromDict(d, namespace ?? fileNs, `tool file '${path}'`));
}

/** `type: file`: tools from a YAML or JSON file (DiGiT's FileToolLoader). */
export const fileLoader = defineLoader({
  schema,
  create: (c) => ({ load: async () => readToolFile(c.path, c.namespace) }),
});
