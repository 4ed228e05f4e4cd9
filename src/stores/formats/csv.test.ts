import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataFileError } from "../../errors.js";
import { CsvFile, decodeCell, encodeCell, readCsv } from "./csv.js";

describe("typed CSV cells", () => {
  it("round-trip every JSON value and keep plain strings readable", () => {
    const values = [
      "plain",
      "",
      "42",
      "-1.5e3",
      "null",
      "true",
      "[1]",
      '{"a":1}',
      '"q"',
      " lead",
      42,
      1.5,
      true,
      false,
      null,
      [1, "a"],
      { a: { b: [] } },
      "é ✓",
    ];
    for (const v of values) expect(decodeCell(encodeCell(v))).toEqual(v);
    expect(encodeCell("plain text, with comma")).toBe("plain text, with comma");
    expect(encodeCell(undefined)).toBe("");
    expect(decodeCell("")).toBeUndefined();
  });

  it("write the header once and keep absent fields absent", async () => {
    const f = join(mkdtempSync(join(tmpdir(), "digit-csv-")), "o.csv");
    const out = new CsvFile(f);
    await out.append([{ a: 1, b: "x" }]);
    await out.append([{ b: "y" }]);
    expect(readFileSync(f, "utf8")).toBe("a,b\n1,x\n,y\n");
    const rows = [];
    for await (const r of out.rows()) rows.push(r);
    expect(rows).toEqual([{ a: 1, b: "x" }, { b: "y" }]);
  });
});

describe("input CSV", () => {
  it("refuses a record longer than maxRecordBytes with file and line, before reading it all", async () => {
    const f = join(mkdtempSync(join(tmpdir(), "digit-csv-")), "in.csv");
    writeFileSync(f, `a,b\n1,2\n3,"${"x".repeat(5000)}"\n4,5\n`);
    const read = async (maxRecordBytes: number) => {
      const rows: unknown[] = [];
      for await (const r of readCsv(f, { maxRecordBytes })) rows.push(r);
      return rows;
    };
    const e = await read(1000).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e).toMatchObject({
      file: f,
      line: 3,
      message: expect.stringMatching(/record at line 3 is longer than 1000 bytes/),
    });
    expect(await read(1 << 20)).toHaveLength(4);
  });
});
