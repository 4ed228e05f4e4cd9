import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";

describe("field_map", () => {
  it("copies fields from a snapshot, so chained maps move old values", async () => {
    const { block } = await makeBlock("field_map", { field_map: { f1: "f2", f2: "f3" } });
    const out = await block.call([{ f1: "a", f2: "b", f3: "c" }]);
    expect(out).toEqual([{ f1: "a", f2: "a", f3: "b" }]);
  });
  it("creates new targets, with dot paths and list indices on both sides", async () => {
    const { block } = await makeBlock("field_map", {
      field_map: { "doc.title": "title", "docs[1]": "second", q: "pair.question" },
    });
    const rows = [{ doc: { title: "T" }, docs: ["a", "b"], q: "why?" }];
    const out = await block.call(rows);
    expect(out[0]).toEqual({
      doc: { title: "T" },
      docs: ["a", "b"],
      q: "why?",
      title: "T",
      second: "b",
      pair: { question: "why?" },
    });
    expect(out[0]).toBe(rows[0]); // the caller's own row, enriched in place
  });
  it("a call-time field_map replaces the configured one (DiGiT ignored it)", async () => {
    const { block } = await makeBlock("field_map", { field_map: { a: "b" } });
    expect(await block.call([{ a: 1, c: 2 }], { field_map: { c: "d" } })).toEqual([
      { a: 1, c: 2, d: 2 },
    ]);
  });
  it("a missing source is an error naming the field and the row's keys", async () => {
    const { block } = await makeBlock("field_map", { field_map: { nope: "x" } });
    await expect(block.call([{ a: 1 }])).rejects.toMatchObject({
      code: "DIGIT_FIELD_MAP_SOURCE",
      message: expect.stringMatching(/no field 'nope' \(its keys: a\)/),
    });
  });
  it("requires field_map to be a mapping", async () => {
    await expect(makeBlock("field_map", { field_map: ["a"] })).rejects.toThrow(/field_map/);
    await expect(makeBlock("field_map", {})).rejects.toThrow(/missing required key 'field_map'/);
  });
});
