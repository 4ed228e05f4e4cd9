import { ConfigError, type ErrorLocation } from "../errors.js";
import { suggestion } from "../util/did-you-mean.js";
import { isObj, type Row } from "../util/mapping.js";
import { DEFAULT_NAMESPACE, type Tool } from "./types.js";

const WHAT_NAMESPACE = "a namespace is a tools.registry entry's 'namespace:'";
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

/**
 * The namespaces a `tools.registry` list will load, when they are known without loading it: an
 * `mcp` or `rest` entry's namespace (or the default), an `inline` entry's and its tools' own;
 * undefined when some entry reads a file (a tool in it may name its own namespace) or is of a
 * type not known here.
 *
 * @example
 * staticNamespaces([{ type: "mcp", command: "node", namespace: "calc" }]) // ["calc"]
 */
export function staticNamespaces(registry: readonly Row[]): string[] | undefined {
  const out = new Set<string>();
  for (const e of registry) {
    const own = typeof e.namespace === "string" ? e.namespace : DEFAULT_NAMESPACE;
    if (e.type === "mcp" || e.type === "rest") out.add(own);
    else if (e.type === "inline" && Array.isArray(e.tools)) {
      for (const t of e.tools as unknown[]) {
        const ns = isObj(t) && typeof t.namespace === "string" && t.namespace ? t.namespace : own;
        out.add(ns);
      }
    } else return undefined;
  }
  return [...out];
}

/**
 * Check a `tools:` list's namespaces against the namespaces a registry will load (before any tool
 * is loaded); tool names within a namespace are checked once the tools are loaded.
 *
 * @example
 * checkToolNamespaces(["calc/add"], ["calc"], "column 'answer'", { file, line })
 */
export function checkToolNamespaces(
  names: readonly string[],
  namespaces: readonly string[],
  what: string,
  where: ErrorLocation = {},
): void {
  for (const n of names) {
    const { namespace } = parseToolName(n);
    if (namespace === undefined || namespaces.includes(namespace)) continue;
    throw new ConfigError(`${what}: no namespace '${namespace}' in the task's tools`, {
      ...where,
      hint: `${suggestion(namespace, namespaces)}; ${WHAT_NAMESPACE}`,
    });
  }
}
