import { toJson } from "../stores/formats/types.js";
import type { Row } from "../util/mapping.js";
import type { OrdinalIds } from "./record-id.js";

/**
 * Gives a transformation's output records their ids and encodes them as JSONL, in one
 * `JSON.stringify` of the whole batch: each record's line without id is what its id hashes, and
 * the id is then appended to that line as the record's last key. Records that already carry a
 * string `id` keep it. Rows the one-pass encoding cannot handle exactly (see `encode`) are
 * encoded one by one, with the same result byte for byte.
 *
 * @example
 * const enc = new OrdinalRecordEncoder(new OrdinalIds("clean"));
 * const bytes = enc.encode([{ task_name: "clean", is_seed: false, text: "a" }], 0);
 * // bytes: '{"task_name":"clean","is_seed":false,"text":"a","id":"…"}\n'; records[0].id set
 */
export class OrdinalRecordEncoder {
  /** False once a batch could not be split exactly: later batches go line by line at once. */
  private whole = true;

  constructor(private readonly ids: OrdinalIds) {}

  /**
   * Set the id of every record that has no string id (the record at index k is output number
   * `first + k`) and return the JSONL bytes of all of them (one line each, in order).
   */
  encode(records: readonly Row[], first: number): Buffer {
    if (this.whole && records.length > 1 && records.every(splittable)) {
      const bytes = this.encodeWhole(records, first);
      if (bytes) return bytes;
      this.whole = false;
    }
    return this.encodeEach(records, first);
  }

  /**
   * One `JSON.stringify` of the batch, split at the `},{` between records. Exact only when that
   * separator occurs nowhere else: n records must give exactly n - 1 of them (a `},{` inside a
   * string or a nested list adds to the count, and then the batch is not split).
   */
  private encodeWhole(records: readonly Row[], first: number): Buffer | undefined {
    let text: string;
    try {
      text = JSON.stringify(records);
    } catch {
      return undefined; // a BigInt: the line encoder writes it as a string
    }
    const ends: number[] = [];
    for (let i = text.indexOf("},{"); i >= 0; i = text.indexOf("},{", i + 3)) {
      if (ends.length === records.length - 1) return undefined;
      ends.push(i + 1);
    }
    if (ends.length !== records.length - 1) return undefined;
    ends.push(text.length - 1); // before the closing "]"
    const parts: string[] = [];
    let start = 1; // after the opening "["
    for (let k = 0; k < records.length; k++) {
      const end = ends[k]!;
      const record = records[k]!;
      if (typeof record.id === "string") parts.push(text.slice(start, end));
      else {
        const id = this.ids.of(first + k, text, start, end);
        record.id = id;
        const comma = end - start > 2 ? "," : ""; // "{}" has no key to follow
        parts.push(`${text.slice(start, end - 1)}${comma}"id":"${id}"}`);
      }
      start = end + 1;
    }
    parts.push("");
    return Buffer.from(parts.join("\n"), "utf8");
  }

  /** Record by record: the reference the one-pass encoding must equal. */
  private encodeEach(records: readonly Row[], first: number): Buffer {
    const lines: string[] = [];
    for (let k = 0; k < records.length; k++) {
      const record = records[k]!;
      if (typeof record.id !== "string") {
        // The line without id; an `id` key the record already has keeps its place.
        const hadId = Object.hasOwn(record, "id");
        const withoutId = hadId ? { ...record, id: undefined } : record;
        record.id = this.ids.of(first + k, toJson(withoutId) ?? "null");
      }
      lines.push(toJson(record) ?? "null");
    }
    lines.push("");
    return Buffer.from(lines.join("\n"), "utf8");
  }
}

/**
 * A plain object whose line can be split out of a batch's JSON and given an id at its end: no
 * `toJSON`, and no `id` key unless a string one (an id of another type is replaced in place).
 */
function splittable(value: Row): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  return !Object.hasOwn(value, "id") || typeof value.id === "string";
}
