import { tokenize } from "../rouge/tokenize.js";

/** What a shingle is: `word` n-grams of ROUGE tokens, or `char` n-grams of the normalised text. */
export type ShingleKind = "word" | "char";

/**
 * The shingles of a text, as 32-bit hashes (a set: repeats are kept, they do not change a
 * MinHash). Text is normalised like the ROUGE-L scorer's: NFC, lower-case; words are its tokens
 * (letters and digits of any script; Han, Kana, Hangul, Thai and the like one per character),
 * so punctuation and emoji do not count. Character shingles are taken from the tokens joined by
 * single spaces. A text shorter than one shingle gives one shingle of what there is; a text with
 * no token gives none.
 *
 * @example
 * shingleHashes("The cat sat.", "word", 2).length // 2 ("the cat", "cat sat")
 */
export function shingleHashes(text: string, kind: ShingleKind, n: number): Uint32Array {
  const tokens = tokenize(text);
  if (tokens.length === 0) return new Uint32Array(0);
  if (kind === "word") {
    const count = Math.max(1, tokens.length - n + 1);
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      let h = FNV_OFFSET;
      for (let j = i; j < Math.min(i + n, tokens.length); j++)
        h = fnv(fnv(h, tokens[j]!), "\u0000");
      out[i] = h >>> 0;
    }
    return out;
  }
  const joined = tokens.join(" ");
  const count = Math.max(1, joined.length - n + 1);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = fnv(FNV_OFFSET, joined.slice(i, i + n)) >>> 0;
  return out;
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h`. */
function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
