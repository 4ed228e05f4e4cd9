import { ConfigError, type ErrorLocation } from "../errors.js";
import { suggestion } from "../util/did-you-mean.js";
import type { Tool } from "./types.js";

const HOW = "name a namespace (calc or calc/*), one tool (calc/add) or * for all";

/**
 * One name of a `tools:` list, read: `*` (every tool), a namespace (`calc` or `calc/*`), or one
 * tool (`calc/add` or `calc::add`).
 *
 * @example
 * parseToolName("calc/*") // { namespace: "calc", tool: undefined }
 * parseToolName("calc::add") // { namespace: "calc", tool: "add" }
 */
export function parseToolName(name: string): { namespace: string | undefined; tool?: string } {
  if (name === "*") return { namespace: undefined };
  const [ns, tool] = name.includes("::") ? name.split("::", 2) : name.split("/", 2);
  return tool === undefined || tool === "*" ? { namespace: ns! } : { namespace: ns!, tool };
}

/**
 * The tools a `tools:` list names, out of a task's loaded tools. A name that matches nothing is a
 * ConfigError at `where` with the closest namespace or tool name.
 *
 * @example
 * selectTools(registry.all(), ["calc/*", "web/search"], "column 'answer'", { file, line })
 */
export function selectTools(
  all: readonly Tool[],
  names: readonly string[],
  what: string,
  where: ErrorLocation = {},
): Tool[] {
  const out = new Set<Tool>();
  const namespaces = [...new Set(all.map((t) => t.namespace))];
  for (const n of names) {
    const { namespace, tool } = parseToolName(n);
    const hits = all.filter(
      (t) =>
        namespace === undefined ||
        (t.namespace === namespace && (tool === undefined || t.name === tool)),
    );
    if (!hits.length) {
      const known = tool === undefined ? namespaces : all.map((t) => `${t.namespace}/${t.name}`);
      throw new ConfigError(
        `${what}: no ${tool === undefined ? "namespace" : "tool"} '${n}' in the task's tools`,
        {
          ...where,
          hint: `${suggestion(tool === undefined ? n : `${namespace}/${tool}`, known)}; ${HOW}`,
        },
      );
    }
    for (const h of hits) out.add(h);
  }
  return [...out];
}
