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
 * Ids of a transformation's output records: a 64-bit hash of task, place in the output
 * (`ordinal`) and the record's JSON line without its id (keys in their order). The ordinal makes
 * ids unique, so they need neither sorted keys nor a cryptographic hash; the line is the text the
 * store writes anyway, so it is hashed where it lies, without a copy (see `encodeWithOrdinalIds`).
 * (Ids of records written by earlier versions stay as they are; nothing compares the kinds.)
 *
 * @example
 * const ids = new OrdinalIds("clean");
 * ids.of(7, '{"text":"a"}') // "9c0d…" (16 hex chars)
 */
export class OrdinalIds {
  private readonly seed: number;
  constructor(taskName: string) {
    let h = 0x811c9dc5;
    for (let i = 0; i < taskName.length; i++) h = Math.imul(h ^ taskName.charCodeAt(i), 0x01000193);
    this.seed = fmix32(h ^ taskName.length);
  }

  /** The id of the record at `ordinal` whose line without id is `text[start, end)`. */
  of(ordinal: number, text: string, start = 0, end = text.length): string {
    // Two 32-bit lanes over the UTF-16 units, two units per step (Murmur3's mixing in lane a).
    const lo = ordinal >>> 0;
    const hiOrd = Math.floor(ordinal / 0x100000000);
    let a = fmix32(this.seed ^ lo) ^ (end - start);
    let b = fmix32(Math.imul(this.seed, 0x9e3779b1) ^ hiOrd ^ Math.imul(lo, 0x85ebca6b));
    let i = start;
    for (; i + 1 < end; i += 2) {
      let k = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      a ^= k;
      a = (a << 13) | (a >>> 19);
      a = (Math.imul(a, 5) + 0xe6546b64) | 0;
      b = Math.imul(b ^ k, 0x5bd1e995);
      b ^= b >>> 15;
    }
    if (i < end) {
      let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      a ^= k;
      b = Math.imul(b ^ k, 0x5bd1e995);
    }
    const hi = fmix32(a ^ Math.imul(b, 0x9e3779b1));
    return hex32(hi) + hex32(fmix32(b ^ Math.imul(hi, 0x85ebca6b)));
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A 32-bit number as 8 hex digits. */
function hex32(h: number): string {
  return HEX[h >>> 24]! + HEX[(h >>> 16) & 255]! + HEX[(h >>> 8) & 255]! + HEX[h & 255]!;
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
