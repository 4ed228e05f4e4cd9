import { createHash } from "node:crypto";

/**
 * A stable id for a record: a hash of its task and content (keys sorted; `id` and `is_seed`
 * excluded). Equal records get equal ids, so resume, dedup and distributed merges are idempotent.
 *
 * @example
 * recordId("qa", { question: "Why?", answer: "Because." }) // "3f2a…" (16 hex chars)
 */
export function recordId(taskName: string, record: Record<string, unknown>): string {
  const h = createHash("sha256");
  h.update(taskName);
  h.update("\u0000");
  h.update(canonicalJson(record, true));
  return h.digest("hex").slice(0, 16);
}

/**
 * The id of a record at place `ordinal` of a transformation's output: a 64-bit hash of task,
 * ordinal and the record's JSON (`content`, keys in their order). The ordinal makes it unique, so
 * it needs neither sorted keys nor a cryptographic hash: one JSON text and one pass over it.
 * (Ids of records written by earlier versions stay as they are; nothing compares the two kinds.)
 *
 * @example
 * ordinalRecordId("clean", 7, JSON.stringify({ text: "a" })) // "9c0d…" (16 hex chars)
 */
export function ordinalRecordId(taskName: string, ordinal: number, content: string): string {
  return hash64Hex(`${taskName}\u0000${ordinal}\u0000${content}`);
}

/** A 64-bit non-cryptographic hash of a string, as 16 hex digits (two mixed 32-bit lanes). */
function hash64Hex(s: string): string {
  let a = 0x811c9dc5 ^ s.length;
  let b = 0x27d4eb2f;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  const hi = fmix32(a ^ Math.imul(b, 0x9e3779b1));
  const lo = fmix32(b ^ Math.imul(hi, 0x85ebca6b));
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** Murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function canonicalJson(value: unknown, top = false): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value)
      .filter((k) => !(top && (k === "id" || k === "is_seed" || k === "task_name")))
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}
