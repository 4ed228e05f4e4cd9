import { ConfigError, type Random, suggestion } from "digit-sdg";
import { z } from "zod";
import type { SearchDocument } from "../../../src/tools/search/document.js";
import type { SearchEngine } from "../../../src/tools/search/engine.js";
import {
  RandomDocumentSampler,
  randomDocumentSamplerSchema,
} from "../../../src/tools/search/random-sampler.js";

/**
 * A `document_samplers` entry of `lm/scenario/rag` (DiGiT's): the sampler type, the
 * `tools.engines` entry it draws from, its weight among the entries, and the sampler's own keys.
 *
 * @example
 * documentSamplerEntry.parse({ type: "search/random", engine: "file_retriever", group_by: "domain" })
 */
export const documentSamplerEntry = z.looseObject({
  type: z.string().min(1).describe("Sampler type: search/random"),
  engine: z.string().min(1).describe("Name of a search engine in tools.engines"),
  weight: z.number().min(0).default(1).describe("Chance of this sampler, relative to the others"),
});

/**
 * Sampler types by name. `random` is accepted as another name of `search/random`: DiGiT's own
 * live RAG task file names it so, though DiGiT registers only `search/random`.
 *
 * @example
 * DOCUMENT_SAMPLERS["search/random"]
 */
export const DOCUMENT_SAMPLERS = {
  "search/random": randomDocumentSamplerSchema,
  random: randomDocumentSamplerSchema,
} as const;

/**
 * A document sampler ready to draw: k documents per call.
 *
 * @example
 * const docs = sampler.sample(rng, 3);
 */
export interface DocumentSampler {
  sample(rng: Random, k: number): SearchDocument[];
}

/**
 * Build the (sampler, weight) pairs of a `document_samplers` list against the task's search
 * engines. An unknown sampler type or engine name, an engine that is not a search engine, an
 * empty corpus, or weights that do not add up to 1 fail with a ConfigError naming the entry.
 *
 * @example
 * const pairs = buildSamplers(args.document_samplers, extras.searchEngines, "task 'x' lm/scenario/rag");
 */
export function buildSamplers(
  entries: readonly z.infer<typeof documentSamplerEntry>[],
  engines: ReadonlyMap<string, SearchEngine>,
  where: string,
): { sampler: DocumentSampler; weight: number }[] {
  const pairs = entries.map((e, i) => {
    const at = `${where} document_samplers[${i}]`;
    const schema = DOCUMENT_SAMPLERS[e.type as keyof typeof DOCUMENT_SAMPLERS];
    if (!schema)
      throw new ConfigError(`${at}: document sampler '${e.type}' is not known`, {
        hint: suggestion(e.type, Object.keys(DOCUMENT_SAMPLERS)),
      });
    const engine = engines.get(e.engine);
    if (!engine)
      throw new ConfigError(
        `${at}: engine '${e.engine}' is not a search engine of the task's tools.engines`,
        { hint: suggestion(e.engine, [...engines.keys()]) },
      );
    const { type: _t, engine: _e, weight, ...keys } = e;
    const parsed = schema.strict().safeParse(keys);
    if (!parsed.success)
      throw new ConfigError(
        `${at}: ${parsed.error.issues.map((x) => `${x.path.join(".") || "(entry)"}: ${x.message}`).join("; ")}`,
        { hint: "search/random takes group_by and strategy (uniform or proportional)" },
      );
    return { sampler: new RandomDocumentSampler(engine, parsed.data), weight };
  });
  const total = pairs.reduce((s, p) => s + p.weight, 0);
  if (pairs.length && Math.abs(total - 1) > 1e-6)
    throw new ConfigError(`${where}: document_samplers weights add up to ${total}, not 1`, {
      hint: "make the weight values sum to exactly 1.0",
    });
  return pairs;
}
