/**
 * Python's `str()` of a JSON value, as DiGiT's `formatters/native` writes it into a template:
 * `None`, `True`/`False`, integers without a fraction, `{'a': 1}` and `['x', None]` for containers.
 * Kept so that formatted output matches DiGiT's byte for byte.
 *
 * @example
 * pythonStr({ a: [1, null, "x"] }) // "{'a': [1, None, 'x']}"
 */
export function pythonStr(value: unknown): string {
  return typeof value === "string" ? value : pythonRepr(value);
}

/**
 * Python's `repr()` of a JSON value (strings quoted the way Python quotes them).
 *
 * @example
 * pythonRepr("it's") // "\"it's\""
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return pythonNumber(value);
  if (typeof value === "string") return quote(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${quote(k)}: ${pythonRepr(v)}`)
      .join(", ")}}`;
  }
  return String(value);
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  // JSON cannot tell 1 from 1.0; integers are by far the common case in records.
  return String(n);
}

function quote(s: string): string {
  // Python prefers single quotes unless the text has a single quote and no double quote.
  const useDouble = s.includes("'") && !s.includes('"');
  const q = useDouble ? '"' : "'";
  let out = "";
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === q) out += `\\${q}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)
      out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${q}${out}${q}`;
}
