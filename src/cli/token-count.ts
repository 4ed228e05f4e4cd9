import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

/** Characters per token assumed for models without a known tokenizer (English text averages about 4). */
export const CHARS_PER_TOKEN = 4;

/**
 * The OpenAI encoding of a model (o200k_base for the gpt-4o, gpt-4.1, gpt-5 and o-series
 * families, cl100k_base for gpt-4 and gpt-3.5), or undefined for other models.
 *
 * @example
 * tokenizerFor("gpt-4o-mini") // "o200k_base"
 */
export function tokenizerFor(model: string): "o200k_base" | "cl100k_base" | undefined {
  const m = model.toLowerCase();
  if (/^(gpt-4o|gpt-4\.1|gpt-5|o\d|chatgpt-4o)/.test(m)) return "o200k_base";
  if (/^(gpt-4|gpt-3\.5)/.test(m)) return "cl100k_base";
  return undefined;
}

/**
 * Tokens of `text` for a model: its OpenAI encoding when it has one (gpt-tokenizer), else one
 * token per CHARS_PER_TOKEN characters.
 *
 * @example
 * countTokens("gpt-4o-mini", "What is the capital of Peru?") // 7
 */
export function countTokens(model: string, text: string): number {
  const enc = tokenizerFor(model);
  if (enc === "o200k_base") return countO200k(text);
  if (enc === "cl100k_base") return countCl100k(text);
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}
