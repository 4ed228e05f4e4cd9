import { describe, expect, it } from "vitest";
import { getPath, KeyError, MISSING, PathSyntaxError, parsePath, setPath } from "./paths.js";

describe("path syntax", () => {
  it("parses names, indices, slices and append", () => {
    expect(parsePath("a.b[2].c[:3]")).toEqual([
      { name: "a", modifier: undefined },
      { name: "b", modifier: { kind: "index", index: 2 } },
      { name: "c", modifier: { kind: "head", n: 3 } },
    ]);
    expect(parsePath("x[1:]")[0]!.modifier).toEqual({ kind: "tail", n: 1 });
    expect(parsePath("x[+]")[0]!.modifier).toEqual({ kind: "append" });
  });
  it.each([
    ["a..b", /empty segment/],
    ["a[1", /unclosed/],
    ["[1]", /missing field name/],
    ["a[[1]]", /nested brackets/],
    ["a]", /unmatched/],
    ["a[x]", /bad index/],
  ])("rejects %s", (path, message) => {
    expect(() => parsePath(path)).toThrow(PathSyntaxError);
    expect(() => parsePath(path)).toThrow(message);
  });
});

describe("getPath", () => {
  const row = { a: { b: [10, 20, 30], n: null }, list: [{ x: 1 }, { x: 2 }] };
  it("reads nested keys, indices (negative too) and slices", () => {
    expect(getPath(row, "a.b[1]")).toBe(20);
    expect(getPath(row, "a.b[-1]")).toBe(30);
    expect(getPath(row, "list[1].x")).toBe(2);
    expect(getPath(row, "a.b[:2]")).toEqual([10, 20]);
    expect(getPath(row, "a.b[1:]")).toEqual([20, 30]);
  });
  it("a missing terminal is MISSING when not strict, an error when strict; a present null is a value", () => {
    expect(getPath(row, "a.zz", false)).toBe(MISSING);
    expect(() => getPath(row, "a.zz")).toThrow(KeyError);
    expect(getPath(row, "a.n", false)).toBeNull();
  });
  it("a missing or null intermediate is always an error", () => {
    expect(() => getPath(row, "zz.b", false)).toThrow(/intermediate/);
    expect(() => getPath(row, "a.n.x", false)).toThrow(/null/);
    expect(() => getPath(row, "a.b.x", false)).toThrow(TypeError);
  });
  it("refuses append on reads, slices before the end, indices out of range and non-lists", () => {
    expect(() => getPath(row, "a.b[+]")).toThrow(/only allowed when writing/);
    expect(() => getPath(row, "list[:1].x")).toThrow(/last segment/);
    expect(() => getPath(row, "a.b[5]")).toThrow(/out of range/);
    expect(() => getPath(row, "a[0]")).toThrow(/not a list/);
  });
});

describe("setPath", () => {
  it("creates intermediate objects, also over null", () => {
    const t: Record<string, unknown> = { a: null };
    setPath(t, "a.b.c", 1);
    setPath(t, "x.y", 2);
    expect(t).toEqual({ a: { b: { c: 1 } }, x: { y: 2 } });
  });
  it("appends at the end and in the middle of a path", () => {
    const t: Record<string, unknown> = {};
    setPath(t, "msgs[+]", "a");
    setPath(t, "msgs[+]", "b");
    setPath(t, "turns[+].role", "user");
    setPath(t, "turns[+].role", "assistant");
    expect(t).toEqual({ msgs: ["a", "b"], turns: [{ role: "user" }, { role: "assistant" }] });
  });
  it("assigns at an existing index and descends into it", () => {
    const t: Record<string, unknown> = { l: [{ a: 1 }, null] };
    setPath(t, "l[0].a", 5);
    setPath(t, "l[1].b", 6);
    setPath(t, "l[-1].c", 7);
    expect(t).toEqual({ l: [{ a: 5 }, { b: 6, c: 7 }] });
  });
  it("[i] on a missing list creates a one-element list and writes at 0 (DiGiT's rule)", () => {
    const t: Record<string, unknown> = {};
    setPath(t, "l[3]", "x");
    setPath(t, "m[2].k", "y");
    expect(t).toEqual({ l: ["x"], m: [{ k: "y" }] });
  });
  it("refuses slices, out-of-range indices and writing through non-objects", () => {
    expect(() => setPath({ l: [1] }, "l[:1]", 0)).toThrow(/slices cannot be written/);
    expect(() => setPath({ l: [1] }, "l[4]", 0)).toThrow(RangeError);
    expect(() => setPath({ a: 1 }, "a.b", 0)).toThrow(TypeError);
    expect(() => setPath({ a: {} }, "a[+]", 0)).toThrow(/not a list/);
    expect(() => setPath({ l: [1] }, "l[0].x", 0)).toThrow(/not an object/);
  });
});
