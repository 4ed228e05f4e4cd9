/**
 * Reading a tagger reply: the first balanced `{...}` object, parsed as JSON, or, when it does not
 * parse, the expected label picked out of the text.
 */

/**
 * The first balanced `{...}` of a reply, or undefined.
 *
 * @example
 * firstObject('Sure: {"a": {"b": 1}} done') // '{"a": {"b": 1}}'
 */
export function firstObject(text: string): string | undefined {
  const start = text.indexOf("{");
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

const LABELS = /\b(very poor|poor|average|good|excellent|very easy|easy|medium|hard|very hard)\b/;

/**
 * A label as the tags store it: a number becomes its digits, a list its first item, a text with
 * extra words the first rating word or digit found in it.
 *
 * @example
 * cleanLabel(["4"]) // "4"
 * cleanLabel("Rating: good.") // "good"
 */
export function cleanLabel(value: unknown, allowed: readonly string[]): string | undefined {
  if (Array.isArray(value)) return cleanLabel(value[0], allowed);
  if (typeof value === "number" && Number.isFinite(value)) return String(Math.trunc(value));
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  if (allowed.includes(v)) return v;
  const digit = /\d+/.exec(v)?.[0];
  if (digit !== undefined && allowed.includes(digit)) return digit;
  const word = LABELS.exec(v)?.[1];
  return word !== undefined && allowed.includes(word) ? word : value;
}

/**
 * Parse a reply into an object; when it is not JSON, salvage `"key": "value"` for the key wanted.
 *
 * @example
 * parseReply('{"score": 5}', "score") // { score: 5 }
 */
export function parseReply(reply: string, key: string): Record<string, unknown> | undefined {
  const text = reply
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/```$/, "");
  const obj = firstObject(text);
  if (obj !== undefined) {
    try {
      const parsed: unknown = JSON.parse(obj);
      const first = Array.isArray(parsed) ? parsed[0] : parsed;
      if (typeof first === "object" && first !== null) return first as Record<string, unknown>;
    } catch {
      // fall through to salvage
    }
  }
  const m = new RegExp(`"${key}"\\s*:\\s*"?\\[?"?([\\w ]+)`).exec(text);
  return m ? { [key]: m[1]!.trim(), explanation: text } : undefined;
}
