import { z } from "zod";
import type { Random } from "../../util/random.js";
import { defineEngine } from "../engines/engine.js";
import { corpusKeys, loadCorpus, type SearchDocument } from "./document.js";
import { SearchEngine, searchKeys } from "./engine.js";

const schema = z.object({ ...searchKeys, ...corpusKeys });

/**
 * `type: search/file` (DiGiT's FileSearchEngine): a corpus file whose "search" returns
 * `limit` documents drawn at random, whatever the query — grounding material for synthetic
 * conversations rather than retrieval. Draws are seeded by the session and call number.
 */
export class FileSearchEngine extends SearchEngine {
  private docs: SearchDocument[] | undefined;

  constructor(private readonly c: z.infer<typeof schema>) {
    super(c, c.limit);
  }

  corpus(): SearchDocument[] {
    this.docs ??= loadCorpus(this.c);
    return [...this.docs];
  }

  async search(
    _args: Record<string, unknown>,
    limit: number,
    rng: Random,
  ): Promise<SearchDocument[]> {
    return rng.sample(this.corpus(), limit);
  }
}

/** `search/file` engine. */
export const fileSearchEngine = defineEngine({
  schema,
  create: async (c) => new FileSearchEngine(c),
});
