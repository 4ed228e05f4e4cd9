import type { Row } from "digit-sdg";

/**
 * A document ready for prompting.
 *
 * @example
 * const d: KnowledgeDocument = { content: "...", domain: "biology", group: "intro" };
 */
export interface KnowledgeDocument extends Row {
  content: string;
  domain: string;
  group: string;
}

/**
 * Flatten a task's `documents` mapping (group → string | list of strings | {content} dicts | list
 * of those) into documents, in YAML order.
 *
 * @example
 * flattenDocuments({ intro: ["a", { content: "b" }] }, "science").map((d) => d.content) // ["a", "b"]
 */
export function flattenDocuments(documents: Row, domain: string): KnowledgeDocument[] {
  const out: KnowledgeDocument[] = [];
  const add = (group: string, v: unknown) => {
    if (typeof v === "string") out.push({ content: v, domain, group });
    else if (Array.isArray(v)) for (const x of v) add(group, x);
    else if (v && typeof v === "object" && typeof (v as Row).content === "string")
      out.push({ ...(v as Row), content: String((v as Row).content), domain, group });
  };
  for (const [group, v] of Object.entries(documents)) add(group, v);
  return out;
}

/**
 * Remove a trailing references / bibliography section: everything from a line that is just
 * "References" (or "Bibliography"), optionally as a Markdown heading. DiGiT kept that section and
 * dropped the text before it.
 *
 * @example
 * removeReferences("Body text.\n\n## References\n[1] A. Author") // "Body text."
 */
export function removeReferences(text: string): string {
  const m = /^[ \t]*(?:#{1,6}[ \t]*)?(?:references|bibliography)[ \t]*:?[ \t]*$/im.exec(text);
  return (m ? text.slice(0, m.index) : text).trim();
}

/**
 * Split a document into chunks of at most `size` words (each chunk its own object; DiGiT reused
 * one object, so every chunk ended up as the last one). `size ≤ 0` keeps the document whole.
 *
 * @example
 * chunkDocument({ content: "a b c d e", domain: "x", group: "g" }, 2).map((d) => d.content) // ["a b", "c d", "e"]
 */
export function chunkDocument(doc: KnowledgeDocument, size: number): KnowledgeDocument[] {
  if (!(size > 0)) return [doc];
  const words = doc.content.split(/\s+/).filter(Boolean);
  if (words.length <= size) return [doc];
  const out: KnowledgeDocument[] = [];
  for (let i = 0; i < words.length; i += size)
    out.push({ ...doc, content: words.slice(i, i + size).join(" "), chunk_index: out.length });
  return out;
}

/** Words at or under which DiGiT's `fuse_texts` joins a chunk to the one before it. */
export const SHORT_CHUNK_WORDS = 300;

/**
 * Join a short last chunk (at most 300 words) to the chunk before it, as DiGiT's `fuse_texts`
 * does, so a document's tail is not prompted on alone: 657 words at `chunk_size: 600` make one
 * chunk of 657, not 600 + 57. Only when `size` is above 300: there DiGiT fused every chunk back
 * into one document, undoing the chunking asked for, and digit keeps the chunks.
 *
 * @example
 * fuseShortTail(chunkDocument(doc657Words, 600), 600).length // 1
 */
export function fuseShortTail(chunks: KnowledgeDocument[], size: number): KnowledgeDocument[] {
  const last = chunks.at(-1);
  if (chunks.length < 2 || !last || !(size > SHORT_CHUNK_WORDS)) return chunks;
  if (last.content.split(" ").length > SHORT_CHUNK_WORDS) return chunks;
  const prev = chunks.at(-2)!;
  return [...chunks.slice(0, -2), { ...prev, content: `${prev.content} ${last.content}` }];
}

/**
 * Prepare documents for prompting: add the domain, drop references, chunk (a short tail joins the
 * chunk before it, see fuseShortTail).
 *
 * @example
 * prepareDocuments(docs, "biology", 200)
 */
export function prepareDocuments(
  docs: readonly Row[],
  domain: string,
  chunkSize: number,
): KnowledgeDocument[] {
  return docs
    .flatMap((d) =>
      fuseShortTail(
        chunkDocument(
          {
            ...d,
            content: removeReferences(String(d.content ?? "")),
            domain,
            group: String(d.group ?? ""),
          },
          chunkSize,
        ),
        chunkSize,
      ),
    )
    .filter((d) => d.content);
}
