/**
 * The ROUGE tokeniser.
 *
 * ASCII text gives exactly the tokens of the `rouge_score` default tokeniser that DiGiT uses
 * (lower-case, every character outside `[a-z0-9]` is a separator), so thresholds tuned there mean
 * the same here. Beyond ASCII, DiGiT throws every non-ASCII letter away (French loses its accented
 * letters, Chinese tokenises to nothing), so non-English data is never deduplicated. Here:
 *
 * - text is NFC-normalised and lower-cased;
 * - a token is a run of letters and digits of any script (combining marks stay inside the token);
 * - scripts written without spaces between words (Han, Hiragana, Katakana, Hangul, Thai, Lao,
 *   Khmer, Myanmar) give one token per character (plus its combining marks);
 * - emoji, punctuation and symbols are separators, never tokens (they carry little of a
 *   sentence's meaning and would make "Great!" and "Great 🎉" differ).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole ASCII range, controls included
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_TOKEN = /[a-z0-9]+/g;

const PER_CHAR =
  "\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\p{sc=Hangul}\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Khmer}\\p{sc=Myanmar}";
// `v` flag (set subtraction) is built at run time: TypeScript's target (ES2022) predates it, Node 20 has it.
const UNICODE_TOKEN = new RegExp(
  `[[\\p{L}\\p{N}]&&[${PER_CHAR}]]\\p{M}*|[[\\p{L}\\p{N}]--[${PER_CHAR}]][[\\p{L}\\p{N}\\p{M}]--[${PER_CHAR}]]*`,
  "gv",
);

/**
 * Split a text into ROUGE tokens.
 *
 * @example
 * tokenize("I went to the store!")   // ["i", "went", "to", "the", "store"]
 * tokenize("Où est la gare ?")       // ["où", "est", "la", "gare"]
 * tokenize("我爱北京")                // ["我", "爱", "北", "京"]
 */
export function tokenize(text: string): string[] {
  if (ASCII.test(text)) return text.toLowerCase().match(ASCII_TOKEN) ?? [];
  return text.normalize("NFC").toLowerCase().match(UNICODE_TOKEN) ?? [];
}

/**
 * Maps tokens to small integer ids, so texts can be compared as Int32Arrays (and shipped to worker
 * threads cheaply). Ids are stable for the life of the vocabulary.
 *
 * @example
 * const vocab = new Vocabulary();
 * vocab.encode("a b a") // Int32Array [0, 1, 0]
 */
export class Vocabulary {
  private readonly ids = new Map<string, number>();

  /** Number of distinct tokens seen so far. */
  get size(): number {
    return this.ids.size;
  }

  /** Tokenise `text` and return its token ids. */
  encode(text: string): Int32Array {
    const tokens = tokenize(text);
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      let id = this.ids.get(t);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(t, id);
      }
      out[i] = id;
    }
    return out;
  }
}
