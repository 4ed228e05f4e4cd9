import { describe, expect, it, vi } from "vitest";
import { toJson } from "../stores/formats/types.js";
import type { Row } from "../util/mapping.js";
import { OrdinalIds } from "./record-id.js";
import { OrdinalRecordEncoder } from "./record-lines.js";

/** What the one-pass encoding must equal: each record's line without id hashed, id set, encoded. */
function reference(records: Row[], first: number): { text: string; ids: unknown[] } {
  const ids = new OrdinalIds("t");
  const lines = records.map((r, k) => {
    if (typeof r.id === "string") return toJson(r);
    const without = Object.hasOwn(r, "id") ? { ...r, id: undefined } : r;
    const withId = { ...r, id: ids.of(first + k, toJson(without)) };
    return toJson(withId);
  });
  return { text: lines.map((l) => `${l}\n`).join(""), ids: lines.map((l) => JSON.parse(l).id) };
}

const copies = (rows: Row[]) => rows.map((r) => structuredClone(r));

const plain: Row[] = [
  { task_name: "t", is_seed: false, q: "What?", n: 1 },
  { task_name: "t", is_seed: false, q: 'façade, naïve, 東京 \u2028 "quoted" \\ back', n: -0.5 },
  { task_name: "t", is_seed: false, nested: { a: [1, { b: null }], c: {} }, list: [] },
  { task_name: "t", is_seed: false, id: "mine", q: "keeps its own id" },
  { task_name: "t", is_seed: false, "2": "integer key", z: 1 },
  {},
  { task_name: "t", is_seed: true, emoji: "😀", lone: "\ud800" },
];

describe("OrdinalRecordEncoder", () => {
  it("encodes a batch in one pass exactly as record by record, ids included", () => {
    const records = copies(plain);
    const stringify = vi.spyOn(JSON, "stringify");
    const bytes = new OrdinalRecordEncoder(new OrdinalIds("t")).encode(records, 40);
    expect(stringify).toHaveBeenCalledTimes(1); // the whole batch at once
    stringify.mockRestore();
    const want = reference(copies(plain), 40);
    expect(bytes.toString("utf8")).toBe(want.text);
    expect(records.map((r) => r.id)).toEqual(want.ids);
    expect(records[3]!.id).toBe("mine");
    for (const id of want.ids.filter((x) => x !== "mine")) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });

  it("falls back to record by record when '},{' occurs inside a value, with the same bytes", () => {
    const tricky: Row[] = [
      { task_name: "t", text: "a },{ b" },
      { task_name: "t", list: [{ a: 1 }, { a: 2 }] },
      { task_name: "t", id: 7, text: "a non-string id is replaced where it stands" },
      { task_name: "t", big: 10n },
    ];
    for (const rows of [tricky.slice(0, 2), tricky.slice(1, 3), tricky]) {
      const records = copies(rows);
      const bytes = new OrdinalRecordEncoder(new OrdinalIds("t")).encode(records, 0);
      const want = reference(copies(rows), 0);
      expect(bytes.toString("utf8")).toBe(want.text);
      expect(records.map((r) => r.id)).toEqual(want.ids);
    }
    const replaced = copies([tricky[2]!]);
    new OrdinalRecordEncoder(new OrdinalIds("t")).encode(replaced, 0);
    expect(Object.keys(replaced[0]!)).toEqual(["task_name", "id", "text"]);
  });

  it("gives ids unique to the place in the output and stable for the same task, place and content", () => {
    const rows = Array.from({ length: 5000 }, () => ({ task_name: "t", q: "same" }));
    const enc = new OrdinalRecordEncoder(new OrdinalIds("t"));
    const a = copies(rows);
    enc.encode(a.slice(0, 2500), 0);
    enc.encode(a.slice(2500), 2500);
    expect(new Set(a.map((r) => r.id)).size).toBe(5000);
    const b = copies(rows);
    new OrdinalRecordEncoder(new OrdinalIds("t")).encode(b, 0);
    expect(b.map((r) => r.id)).toEqual(a.map((r) => r.id));
    const other = copies(rows.slice(0, 1));
    new OrdinalRecordEncoder(new OrdinalIds("u")).encode(other, 0);
    expect(other[0]!.id).not.toBe(a[0]!.id);
    const changed: Row[] = [{ task_name: "t", q: "different" }];
    new OrdinalRecordEncoder(new OrdinalIds("t")).encode(changed, 0);
    expect(changed[0]!.id).not.toBe(a[0]!.id);
  });
});
