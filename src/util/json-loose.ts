/**
 * Parse JSON from a model reply: the whole text, a ``` fence, or the first balanced {...} / [...].
 *
 * @example
 * parseJsonLoose('Sure: {"a": 1}') // { a: 1 }
 */
export function parseJsonLoose(text: string): unknown {
  const t = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/```\s*$/, "")
    .trim();
  try {
    return JSON.parse(t);
  } catch {
    const start = t.search(/[[{]/);
    if (start < 0) return undefined;
    const span = balanced(t, start);
    if (span === undefined) return undefined;
    try {
      return JSON.parse(span);
    } catch {
      return undefined;
    }
  }
}

/** The balanced bracket span starting at `start` (string literals respected). */
export function balanced(t: string, start: number): string | undefined {
  const open = t[start]!;
  const close = open === "{" ? "}" : "]";
  let depth = 0;
  let inString = false;
  for (let i = start; i < t.length; i++) {
    const c = t[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return t.slice(start, i + 1);
  }
  return undefined;
}
