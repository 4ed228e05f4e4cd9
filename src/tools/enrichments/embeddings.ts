import { z } from "zod";
import { ConfigError } from "../../errors.js";
import type { Row } from "../../util/mapping.js";
import {
  type EmbeddingsMeter,
  type EmbeddingsProvider,
  embeddingsProviderSchema,
  embedTexts,
} from "../embeddings/client.js";
import { propsOf, type ToolRegistry } from "../registry.js";
import { qualifiedName, schemaFingerprint, type Tool } from "../types.js";
import { cacheFingerprint, enrichmentCachePath, loadCache, saveCache } from "./cache.js";
import { defineEnrichment } from "./enrichment.js";

/**
 * Keys shared by the embeddings and neighbors enrichments. `model` is DiGiT's (a
 * sentence-transformers name); `provider` says which endpoint computes the vectors, and its
 * `model_id_or_path`, when set, replaces `model` (so a DiGiT task keeps its model name and an
 * override points it at a local embeddings model).
 *
 * @example
 * { type: embeddings, model: sentence-transformers/all-mpnet-base-v2,
 *   provider: { type: ollama, base_url: http://127.0.0.1:11434, model_id_or_path: nomic-embed-text } }
 */
export const embeddingsKeys = {
  model: z
    .string()
    .min(1)
    .default("sentence-transformers/all-mpnet-base-v2")
    .describe("Embeddings model name (DiGiT's)"),
  provider: embeddingsProviderSchema
    .optional()
    .describe("Where vectors come from: openai, ollama or mock"),
  force: z.boolean().default(false).describe("Ignore the cache"),
};

/**
 * Embeddings of each tool, by qualified name then parameter fingerprint (the `embeddings`
 * artifact).
 *
 * @example
 * (registry.artifacts.embeddings as ToolEmbeddings).get("math::add")?.get(fp)
 */
export type ToolEmbeddings = Map<string, Map<string, Float32Array>>;

/**
 * The provider of an enrichment, or a ConfigError saying how to name one.
 *
 * @example
 * const p = requireProvider(config.provider, config.model, "tools.enrichments[1]");
 */
export function requireProvider(
  p: EmbeddingsProvider | undefined,
  model: string,
  where: string,
): EmbeddingsProvider {
  if (p) return p;
  throw new ConfigError(
    `${where}: embeddings model '${model}' needs a 'provider' (digit does not run sentence-transformers in process)`,
    {
      hint: "add provider: { type: openai | ollama | mock, base_url, model_id_or_path } to the enrichment (an override may set it)",
    },
  );
}

/**
 * The text a tool is embedded as: name, description, arguments and returns with types.
 *
 * @example
 * toolText(tool) // 'This is a "add" tool.\nAdds numbers.\nArgs:\n  a (integer): ...'
 */
export function toolText(t: Tool): string {
  const lines = [`This is a "${t.name}" tool.`];
  if (t.description) lines.push(t.description);
  const list = (title: string, schema: Row) => {
    const props = Object.entries(propsOf(schema));
    if (!props.length) return;
    lines.push(title);
    for (const [name, info] of props) {
      const i = (info ?? {}) as Row;
      lines.push(
        `  ${name}${i.type ? ` (${String(i.type)})` : ""}${i.description ? `: ${String(i.description)}` : ""}`,
      );
    }
  };
  list("Args:", t.parameters);
  list("Returns:", t.output_parameters);
  return lines.join("\n");
}

/** `namespace::name::fingerprint`, the cache key of one tool. */
export const toolKey = (t: Tool) => `${qualifiedName(t)}::${schemaFingerprint(t.parameters)}`;

/**
 * Embed texts with a cache file keyed by `keys` (only the misses are sent).
 *
 * @example
 * const vecs = await cachedEmbeddings("embeddings", fp, provider, model, keys, texts, false);
 */
export async function cachedEmbeddings(
  type: string,
  fp: string,
  p: EmbeddingsProvider,
  model: string,
  keys: string[],
  texts: string[],
  force: boolean,
  meter?: EmbeddingsMeter,
): Promise<Map<string, Float32Array>> {
  const path = enrichmentCachePath(type, fp);
  const cached = force ? {} : loadCache(path);
  const out = new Map<string, Float32Array>();
  const todo: number[] = [];
  keys.forEach((k, i) => {
    const v = cached[k];
    if (Array.isArray(v)) out.set(k, Float32Array.from(v as number[]));
    else todo.push(i);
  });
  if (todo.length) {
    const vecs = await embedTexts(
      p,
      model,
      todo.map((i) => texts[i]!),
      meter,
    );
    const fresh: Row = {};
    todo.forEach((i, k) => {
      out.set(keys[i]!, vecs[k]!);
      fresh[keys[i]!] = Array.from(vecs[k]!);
    });
    saveCache(path, fresh);
  }
  return out;
}

/**
 * Fill `registry.artifacts.embeddings` for every tool.
 *
 * @example
 * await embedRegistry(registry, provider, "m", false);
 */
export async function embedRegistry(
  registry: ToolRegistry,
  p: EmbeddingsProvider,
  model: string,
  force: boolean,
  meter?: EmbeddingsMeter,
): Promise<ToolEmbeddings> {
  const tools = registry.all();
  const keys = tools.map(toolKey);
  const texts = tools.map(toolText);
  const fp = cacheFingerprint(keys.map((k, i) => [k, texts[i]]).sort(), model);
  const flat = await cachedEmbeddings("embeddings", fp, p, model, keys, texts, force, meter);
  const art: ToolEmbeddings = new Map();
  tools.forEach((t, i) => {
    const byFp = art.get(qualifiedName(t)) ?? new Map<string, Float32Array>();
    byFp.set(schemaFingerprint(t.parameters), flat.get(keys[i]!)!);
    art.set(qualifiedName(t), byFp);
  });
  registry.artifacts.embeddings = art;
  return art;
}

/** `type: embeddings`: a vector per tool, cached (DiGiT's EmbeddingsEnrichment). */
export const embeddingsEnrichment = defineEnrichment({
  schema: z.object(embeddingsKeys),
  create: async (c, ctx) => {
    const p = requireProvider(c.provider, c.model, ctx.where);
    const model = p.model_id_or_path ?? c.model;
    return {
      artifact: "embeddings",
      dependsOn: [],
      after: ["output_parameters"],
      enrich: async (registry) => {
        await embedRegistry(registry, p, model, c.force, ctx.embeddingsMeter);
      },
    };
  },
});
