import { ToolDefinitionError } from "../errors.js";
import { violations } from "../util/json-schema.js";
import type { Row } from "../util/mapping.js";
import {
  NAMESPACE_SEP,
  qualifiedName,
  schemaFingerprint,
  type Tool,
  type ToolCall,
  toolToDict,
} from "./types.js";

/**
 * Artifacts enrichments leave on a registry for samplers (`embeddings`, `neighbors`, ...).
 *
 * @example
 * registry.artifacts.neighbors
 */
export type Artifacts = Record<string, unknown>;

/**
 * The tools of a task, keyed by qualified name (`namespace::name`); a name may have several
 * overloads with different parameter schemas (DiGiT's ToolRegistry).
 *
 * @example
 * const reg = new ToolRegistry([{ name: "add", namespace: "math", description: "",
 *   parameters: { type: "object" }, output_parameters: {}, metadata: {} }]);
 * reg.get("math::add").length // 1
 */
export class ToolRegistry {
  /** What enrichments computed (e.g. `embeddings`, `neighbors`), read by samplers. */
  artifacts: Artifacts = {};
  private readonly byName = new Map<string, Tool[]>();
  private readonly seen = new Set<string>();

  constructor(tools: readonly Tool[] = []) {
    for (const t of tools) this.add(t);
  }

  /**
   * Register a tool; the same qualified name with the same parameter schema twice is an error.
   *
   * @example
   * registry.add(tool)
   */
  add(tool: Tool): void {
    if (!tool.namespace) {
      throw new ToolDefinitionError(`tool '${tool.name}' has no namespace`, {
        hint: "set 'namespace' on the tools.registry entry",
      });
    }
    const q = qualifiedName(tool);
    const key = `${q}(${schemaFingerprint(tool.parameters)})`;
    if (this.seen.has(key)) {
      throw new ToolDefinitionError(`tool '${q}' is defined twice with the same parameters`, {
        hint: "remove the duplicate, or give the second source another namespace",
      });
    }
    this.seen.add(key);
    const list = this.byName.get(q) ?? [];
    list.push(tool);
    this.byName.set(q, list);
  }

  /**
   * Every tool, in registration order of their names.
   *
   * @example
   * registry.all().map((t) => t.name)
   */
  all(): Tool[] {
    return [...this.byName.values()].flat();
  }

  /**
   * The overloads of a qualified name.
   *
   * @example
   * registry.get("math::add")
   */
  get(qualified: string): Tool[] {
    return [...(this.byName.get(qualified) ?? [])];
  }

  /**
   * The overload of `qualified` whose parameter fingerprint is `fp` (the only one if just one).
   *
   * @example
   * registry.byFingerprint("math::add", schemaFingerprint(tool.parameters))
   */
  byFingerprint(qualified: string, fp: string): Tool | undefined {
    const list = this.byName.get(qualified) ?? [];
    if (list.length === 1) return list[0];
    return list.find((t) => schemaFingerprint(t.parameters) === fp);
  }

  /**
   * The tool a call means: by qualified name (limited to `namespaces` if given); among overloads
   * the one whose schema the arguments fit, else the one sharing most argument names.
   *
   * @example
   * registry.match({ name: "add", namespace: "math", arguments: { a: 1 } })
   */
  match(call: ToolCall, namespaces?: readonly string[]): Tool | undefined {
    let cands = this.get(qualifiedName(call));
    if (namespaces) cands = cands.filter((t) => namespaces.includes(t.namespace));
    if (cands.length <= 1) return cands[0];
    const fits = cands.filter((t) => {
      try {
        return violations(t.parameters, call.arguments, qualifiedName(t)).length === 0;
      } catch {
        return false;
      }
    });
    const pool = fits.length ? fits : cands;
    const keys = Object.keys(call.arguments);
    const overlap = (t: Tool) => keys.filter((k) => k in propsOf(t.parameters)).length;
    return pool.reduce((best, t) => (overlap(t) > overlap(best) ? t : best));
  }

  /**
   * The namespaces present, sorted.
   *
   * @example
   * registry.namespaces() // ["math", "weather"]
   */
  namespaces(): string[] {
    return [...new Set(this.all().map((t) => t.namespace))].sort();
  }

  /**
   * Replace every tool (after a loader refresh); artifacts are cleared.
   *
   * @example
   * registry.replaceAll(await loadAll())
   */
  replaceAll(tools: readonly Tool[]): void {
    this.byName.clear();
    this.seen.clear();
    this.artifacts = {};
    for (const t of tools) this.add(t);
  }

  /**
   * The tools as DiGiT dicts (`qualified`: names as `namespace::name`).
   *
   * @example
   * registry.toDicts(true)[0].name // "math::add"
   */
  toDicts(qualified = false): Row[] {
    return this.all().map((t) => {
      const d = toolToDict(t);
      return qualified ? { ...d, name: `${t.namespace}${NAMESPACE_SEP}${t.name}` } : d;
    });
  }

  get size(): number {
    return this.all().length;
  }
}

/**
 * The `properties` of a JSON Schema object (`{}` when absent).
 *
 * @example
 * propsOf({ type: "object", properties: { a: {} } }) // { a: {} }
 */
export function propsOf(schema: Row | undefined): Row {
  const p = schema?.properties;
  return p && typeof p === "object" && !Array.isArray(p) ? (p as Row) : {};
}
