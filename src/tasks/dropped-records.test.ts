import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DefaultDatastore } from "../stores/default/index.js";
import { cutAfter, droppedName, storeHasOutput } from "./dropped-records.js";

const store = (dir: string, format: string) =>
  new DefaultDatastore({
    type: "default",
    store_name: "data",
    output_dir: dir,
    output_data_format: format,
  });

describe("cutAfter", () => {
  it("moves a JSONL tail (whole records and a torn line) byte for byte, then cuts the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-cut-"));
    const s = store(dir, "jsonl");
    await s.append([{ a: 1 }, { a: 2 }, { a: 3 }]);
    appendFileSync(join(dir, "data.jsonl"), '{"a":');
    const dropped = await cutAfter(s, 1);
    expect(dropped?.records).toBe(2);
    expect(readFileSync(dropped!.file, "utf8")).toBe('{"a":2}\n{"a":3}\n{"a":');
    expect(readFileSync(join(dir, "data.jsonl"), "utf8")).toBe('{"a":1}\n');
    expect(await cutAfter(s, 1)).toBeUndefined();
  });

  it("writes other formats' extra records to a JSONL backup", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-cut-"));
    const s = store(dir, "csv");
    await s.append([{ a: "x" }, { a: "y" }]);
    const dropped = await cutAfter(s, 1);
    expect(dropped!.file).toMatch(/data\.csv\.dropped-\d{8}T\d{9}Z\.jsonl$/);
    expect(readFileSync(dropped!.file, "utf8")).toBe('{"a":"y"}\n');
    expect(await s.readAll()).toEqual([{ a: "x" }]);
  });

  it("never reuses a backup name, and tells an empty store from one with output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-cut-"));
    const s = store(dir, "jsonl");
    expect(await storeHasOutput(s)).toBe(false);
    appendFileSync(join(dir, "data.jsonl"), "{");
    expect(await storeHasOutput(s)).toBe(true);
    const at = new Date("2026-01-02T03:04:05.678Z");
    const first = droppedName(join(dir, "data.jsonl"), at);
    appendFileSync(first, "x");
    expect(droppedName(join(dir, "data.jsonl"), at)).toBe(`${first}-1`);
    expect(readdirSync(dir).sort()).toEqual([
      "data.jsonl",
      "data.jsonl.dropped-20260102T030405678Z",
    ]);
  });
});
