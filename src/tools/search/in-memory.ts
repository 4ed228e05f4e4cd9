import MiniSearch from "minisearch";
import { z } from "zod";
import type { Row } from "../../util/mapping.js";
import {
  dot,
  type EmbeddingsMeter,
  type EmbeddingsProvider,
  embeddingsProviderSchema,
  embedTexts,
} from "../embeddings/client.js";
import { defineEngine } from "../engines/engine.js";
import { corpusKeys, loadCorpus, type SearchDocument } from "./document.js";
import { SearchEngine, searchKeys } from "./engine.js";

const schema = z.object({
  ...searchKeys,
  ...corpusKeys,
  embedding_model: z
    .string()
    .optional()
    .describe("DiGiT's vector model name; used with 'provider'"),
  provider: embeddingsProviderSchema
    .optional()
    .describe("Rank by embeddings from this endpoint instead of full text"),
  fuzzy: z
    .number()
    .min(0)
    .max(1)
    .default(0.2)
    .describe("Full-text: edit distance allowed, as a fraction of the term length"),
  prefix: z
    .boolean()
    .default(true)
    .describe("Full-text: a query term also matches words it begins"),
});

/**
 * `type: search/in_memory`: a corpus file indexed in memory. By default a full-text index
 * (MiniSearch: BM25 ranking, prefix and fuzzy matching); with `provider`, documents and queries
 * are embedded and ranked by cosine similarity (DiGiT ranks by sentence-transformers vectors).
 */
export class InMemorySearchEngine extends SearchEngine {
  private readonly docs: SearchDocument[];
  private readonly index: MiniSearch<{ i: number; text: string }>;
  private vectors: Promise<Float32Array[]> | undefined;

  constructor(
    private readonly c: z.infer<typeof schema>,
    private readonly meter?: EmbeddingsMeter,
  ) {
    super(c, c.limit);
    this.docs = loadCorpus(c);
    this.index = new MiniSearch({
      idField: "i",
      fields: ["text"],
      searchOptions: { prefix: c.prefix, fuzzy: c.fuzzy },
    });
    this.index.addAll(this.docs.map((d, i) => ({ i, text: d.text })));
  }

  corpus(): SearchDocument[] {
    return [...this.docs];
  }

  async search(args: Row, limit: number): Promise<SearchDocument[]> {
    const query = typeof args.query === "string" ? args.query : "";
    if (!query.trim()) return [];
    if (this.c.provider) return this.byVector(this.c.provider, query, limit);
    return this.index
      .search(query)
      .slice(0, limit)
      .map((h) => ({ ...this.docs[h.id as number]!, score: h.score }));
  }

  private async byVector(
    p: EmbeddingsProvider,
    query: string,
    limit: number,
  ): Promise<SearchDocument[]> {
    const model = p.model_id_or_path ?? this.c.embedding_model ?? "default";
    this.vectors ??= embedTexts(
      p,
      model,
      this.docs.map((d) => d.text),
      this.meter,
    );
    const [docs, [q]] = await Promise.all([
      this.vectors,
      embedTexts(p, model, [query], this.meter),
    ]);
    return docs
      .map((v, i) => ({ ...this.docs[i]!, score: dot(v, q!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }
}

/** `search/in_memory` engine. */
export const inMemorySearchEngine = defineEngine({
  schema,
  create: async (c, ctx) => new InMemorySearchEngine(c, ctx.embeddingsMeter),
});
