import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { DataFileError, MissingFileError } from "../../errors.js";
import { isObj, type Row } from "../../util/mapping.js";

/**
 * A document of a corpus or a search hit (DiGiT's Document): `score` only on ranked hits,
 * every other field of the corpus row in `metadata`.
 *
 * @example
 * const d: SearchDocument = { id: "p_0", text: "The water cycle ...", metadata: { category: "earth" } };
 */
export interface SearchDocument {
  id: string;
  text: string;
  score?: number;
  metadata: Row;
}

/**
 * Keys of a file corpus: where it is, its format, and which of its fields are `id` and `text`
 * (`projection: {corpus_field: id | text}`, DiGiT's).
 *
 * @example
 * { path: data/corpus.jsonl, format: jsonl, projection: { doc_id: id, body: text } }
 */
export const corpusKeys = {
  path: z.string().min(1).describe("A .jsonl (one document per line) or .json (a list) corpus"),
  format: z.enum(["jsonl", "json"]).default("jsonl").describe("Corpus format"),
  projection: z
    .record(z.string(), z.enum(["id", "text"]))
    .default({})
    .describe("{corpus field: id | text}"),
  limit: z
    .number()
    .int()
    .min(1)
    .default(5)
    .describe("Documents returned when a call gives no size/limit"),
};

/**
 * A document as DiGiT serialises it in tool results: id, text, then score and metadata when set.
 *
 * @example
 * documentToDict({ id: "1", text: "x", metadata: {} }) // { id: "1", text: "x" }
 */
export function documentToDict(d: SearchDocument): Row {
  const out: Row = { id: d.id, text: d.text };
  if (d.score !== undefined) out.score = d.score;
  if (Object.keys(d.metadata).length) out.metadata = d.metadata;
  return out;
}

/**
 * Read a corpus file into documents (missing ids become the row number).
 *
 * @example
 * loadCorpus({ path: "corpus.jsonl", format: "jsonl", projection: { body: "text" }, limit: 5 })
 */
export function loadCorpus(c: {
  path: string;
  format: "jsonl" | "json";
  projection: Record<string, "id" | "text">;
}): SearchDocument[] {
  if (!existsSync(c.path)) throw new MissingFileError(c.path, "search corpus");
  const raw = readFileSync(c.path, "utf8");
  let rows: unknown[];
  try {
    rows =
      c.format === "json"
        ? (JSON.parse(raw) as unknown[])
        : raw
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as unknown);
  } catch (e) {
    throw new DataFileError(
      `search corpus '${c.path}' is not valid ${c.format}: ${(e as Error).message}`,
      { file: c.path },
    );
  }
  if (!Array.isArray(rows))
    throw new DataFileError(`search corpus '${c.path}' must be a list of documents`, {
      file: c.path,
    });
  const key = (canonical: "id" | "text") =>
    Object.entries(c.projection).find(([, v]) => v === canonical)?.[0] ?? canonical;
  const idKey = key("id");
  const textKey = key("text");
  return rows.map((r, i) => {
    const row = isObj(r) ? r : { text: r };
    const metadata = Object.fromEntries(
      Object.entries(row).filter(([k]) => k !== idKey && k !== textKey),
    );
    return {
      id: String(row[idKey] ?? row.id ?? i),
      text: String(row[textKey] ?? row.text ?? ""),
      metadata,
    };
  });
}
