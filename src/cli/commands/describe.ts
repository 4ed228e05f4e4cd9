import { relative } from "node:path";
import { z } from "zod";
import { baseBlockConfigSchema, type BlockClass } from "../../blocks/block.js";
import { openRegistry } from "../registry-options.js";
import { table } from "../text-table.js";

type Json = Record<string, unknown>;

/** One config key of a block, as `digit describe` shows it. */
export interface KeyDescription {
  key: string;
  type: string;
  required: boolean;
  default: string;
  description: string;
  /** True for keys every block has (name, type, input_map, ...). */
  common: boolean;
}

/**
 * The config keys of a block class: its own `configSchema` merged with the keys every block
 * takes, with types and defaults read from the JSON Schema zod produces.
 *
 * @example
 * describeKeys(MockLM).find((k) => k.key === "latency_ms") // { type: "number", default: "0", ... }
 */
export function describeKeys(cls: BlockClass): KeyDescription[] {
  const schema = z.toJSONSchema(z.strictObject({ ...baseBlockConfigSchema.shape, ...cls.configSchema.shape }), { io: "input", unrepresentable: "any" }) as Json;
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const common = new Set(Object.keys(baseBlockConfigSchema.shape));
  return Object.entries(props).map(([key, p]) => ({
    key,
    type: typeName(p),
    required: required.has(key),
    default: "default" in p ? JSON.stringify(p.default) : "",
    description: typeof p.description === "string" ? p.description : "",
    common: common.has(key),
  }));
}

/** A short type name from a JSON Schema fragment: string, number, string[], (a | b)[], map<string>, a | b. */
export function typeName(p: Json): string {
  if (Array.isArray(p.anyOf)) {
    const parts = (p.anyOf as Json[]).map(typeName).filter((t) => t !== "null");
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
    return ap && typeof ap === "object" && Object.keys(ap).length ? `map<${typeName(ap as Json)}>` : "map";
  }
  if (t === "integer") return "integer";
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.join(" | ");
  return "any";
}

/**
 * `digit describe <block-type>`: a block's description, config keys (type, required, default)
 * and the row fields it reads and writes. Imports only that block's module.
 *
 * @example
 * process.exitCode = await describeCommand("rouge_scorer", {});
 */
export async function describeCommand(type: string, opts: Record<string, unknown>): Promise<number> {
  const cwd = process.cwd();
  const registry = await openRegistry(opts, cwd);
  const cls = (await registry.resolve("block", type)) as BlockClass;
  if (opts.json === true) {
    const schema = z.toJSONSchema(z.strictObject({ ...baseBlockConfigSchema.shape, ...cls.configSchema.shape }), { io: "input", unrepresentable: "any" });
    process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return 0;
  }
  const entry = registry.entries("block").find((e) => e.name === type);
  const out: string[] = [];
  out.push(`block type '${type}'${entry ? ` (namespace ${entry.namespace}, ${relative(cwd, entry.file)})` : ""}`);
  if (entry?.description) out.push(entry.description);
  const keys = describeKeys(cls);
  const row = (k: KeyDescription) => [k.key, k.type, k.required ? "yes" : "", k.default, k.description];
  out.push("", `keys of '${type}':`);
  const own = keys.filter((k) => !k.common);
  out.push(own.length ? table(["key", "type", "required", "default", "description"], own.map(row)).trimEnd() : "(none besides the common keys)");
  out.push("", "keys every block takes:", table(["key", "type", "required", "default", "description"], keys.filter((k) => k.common).map(row)).trimEnd());
  const fields = cls.fields;
  out.push("", fields ? `row fields: reads/writes ${fields.required.join(", ") || "-"} (required)${fields.optional?.length ? `; ${fields.optional.join(", ")} (optional)` : ""}` : "row fields: any (the block sees every field of the row)");
  out.push("map your own field names onto these with input_map / output_map.");
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
