import type { LineResult } from "./api.js";

/**
 * Read a JSONL result file: each line's `custom_id` and what `read` makes of it. Lines that are
 * not JSON objects, lack a `custom_id` or that `read` cannot place are counted as malformed (their
 * requests then have no answer and are retried).
 *
 * @example
 * parseResultLines('{"custom_id":"a","ok":1}\n{oops', (v) => ({ ok: true, body: v }))
 * // { lines: Map { "a" => { ok: true, ... } }, malformed: 1 }
 */
export function parseResultLines(
  text: string,
  read: (line: Record<string, unknown>) => LineResult | undefined,
): { lines: Map<string, LineResult>; malformed: number } {
  const lines = new Map<string, LineResult>();
  let malformed = 0;
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      malformed++;
      continue;
    }
    const obj =
      v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    const result = obj && typeof obj.custom_id === "string" ? read(obj) : undefined;
    if (!obj || typeof obj.custom_id !== "string" || !result) {
      malformed++;
      continue;
    }
    lines.set(obj.custom_id, result);
  }
  return { lines, malformed };
}
