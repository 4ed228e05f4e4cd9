/**
 * Rank texts by TF-IDF cosine similarity to a reference text (DiGiT's `rank_by_tfidf`, used to
 * pick the seed conversations whose documents are closest to a scenario's documents).
 *
 * @example
 * rankBySimilarity("rain and clouds", ["sunny day", "clouds bring rain"]) // [1, 0]
 */
export function rankBySimilarity(reference: string, texts: readonly string[]): number[] {
  const docs = texts.map(terms);
  const query = terms(reference);
  const df = new Map<string, number>();
  for (const d of [...docs, query]) for (const t of d.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const n = docs.length + 1;
  const weigh = (tf: Map<string, number>) => {
    const v = new Map<string, number>();
    for (const [t, c] of tf) v.set(t, c * (Math.log((1 + n) / (1 + (df.get(t) ?? 0))) + 1));
    return v;
  };
  const q = weigh(query);
  const scores = docs.map((d) => cosine(q, weigh(d)));
  return scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Lower-cased word counts of a text. */
function terms(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    out.set(w, (out.get(w) ?? 0) + 1);
  return out;
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  for (const [t, x] of a) dot += x * (b.get(t) ?? 0);
  const norm = (v: Map<string, number>) =>
    Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot / d;
}
