import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataFileError } from "../../errors.js";
import {
  copyJsonlRecords,
  cutPartialLine,
  JsonlEncoder,
  jsonlBytes,
  readJsonl,
  replaceJsonl,
  truncateJsonl,
} from "./jsonl.js";

const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), "digit-jsonl-")), "f.jsonl");
  writeFileSync(f, text);
  return f;
};

async function all(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("jsonl", () => {
  it("a read failure (here EISDIR) is a DataFileError naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-jsonl-"));
    await expect(all(readJsonl(dir))).rejects.toMatchObject({
      code: "DIGIT_DATA_FILE",
      file: dir,
      message: expect.stringMatching(/cannot read data file: EISDIR/),
    });
  });

  it("refuses a line longer than maxRecordBytes with file and line, within a chunk or across chunks", async () => {
    const long = (n: number) => JSON.stringify({ s: "x".repeat(n - 8) }); // n bytes in all
    const ok = file(`{"a":1}\n${long(100)}\n`);
    expect(await all(readJsonl(ok, { maxRecordBytes: 100 }))).toHaveLength(2);
    const inChunk = file(`{"a":1}\n{"a":2}\n${long(101)}\n{"a":4}\n`);
    const e = await all(readJsonl(inChunk, { maxRecordBytes: 100 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e).toMatchObject({
      file: inChunk,
      line: 3,
      message: expect.stringMatching(/line 3 is longer than 100 bytes/),
    });
    // Across 1 MiB read chunks, and as an unterminated last line.
    const big = long(3 * 1024 * 1024);
    for (const text of [`{"a":1}\n${big}\n{"a":3}\n`, `{"a":1}\n${big}`]) {
      const f = file(text);
      await expect(all(readJsonl(f, { maxRecordBytes: 2 * 1024 * 1024 }))).rejects.toMatchObject({
        line: 2,
        message: expect.stringMatching(/line 2 is longer than 2 MiB/),
      });
      expect(await all(readJsonl(f, { maxRecordBytes: 4 * 1024 * 1024 }))).toHaveLength(
        text.endsWith("\n") ? 3 : 2,
      );
    }
  });

  it("skips blank lines, and skip counts records (the same with on_bad_record: skip)", async () => {
    const f = file('{"a":1}\n\n  \n{"a":2}\nnot json\n{"a":3}\r\n');
    expect(await all(readJsonl(f, { skip: 1, onBadRecord: "skip" }))).toEqual([{ a: 2 }, { a: 3 }]);
    expect(await all(readJsonl(f, { skip: 2, onBadRecord: "skip" }))).toEqual([{ a: 3 }]);
    await expect(all(readJsonl(f))).rejects.toThrow(/line 5 is not valid JSON/);
  });

  it("reads a user file's last line without a newline, but not a store's own", async () => {
    const f = file('{"a":1}\n{"a":2}');
    expect(await all(readJsonl(f))).toEqual([{ a: 1 }, { a: 2 }]);
    const warnings: string[] = [];
    expect(await all(readJsonl(f, { ownOutput: true, warn: (m) => warnings.push(m) }))).toEqual([
      { a: 1 },
    ]);
    expect(warnings[0]).toContain(f);
  });

  it("streams lines longer than a read chunk, with multi-byte characters across chunk ends", async () => {
    const big = "xé中😀".repeat(1 << 19); // 5 MB of UTF-8: characters cut by every 1 MB chunk end
    const f = file(`{"a":"${big}"}\n{"b":"${big.slice(1)}"}\n{"c":1}\n`);
    const rows = (await all(readJsonl(f))) as Record<string, unknown>[];
    expect(rows[0]!.a).toBe(big);
    expect(rows[1]!.b).toBe(big.slice(1));
    expect(rows[2]).toEqual({ c: 1 });
  });

  it("decodes ASCII and non-ASCII lines alike, in batches of a thousand lines and more", async () => {
    // Batches of ASCII-only lines are decoded one byte per character; any other batch as UTF-8.
    const rows = Array.from({ length: 5000 }, (_, i) =>
      i % 1500 === 7
        ? { i, s: "façade — 東京 😀", escaped: "\u00e9" }
        : { i, s: `plain ${i}`, escaped: "caf\u00e9" },
    );
    const text = rows.map((r) => JSON.stringify(r)).join("\n");
    // An escape stays an escape in ASCII text: \u00e9 must still read as é.
    const f = file(`${text.replaceAll("é", "\\u00e9")}\n`);
    expect(await all(readJsonl(f))).toEqual(rows);
  });

  it("skips a UTF-8 byte order mark at the start of the file", async () => {
    expect(await all(readJsonl(file('\uFEFF{"a":1}\n{"a":2}\n')))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("truncates to a record count (blank lines are not records) and cuts a partial tail", async () => {
    const f = file('{"a":1}\n\n{"a":2}\n{"a":3}\n{"a":4');
    await truncateJsonl(f, 2);
    expect(readFileSync(f, "utf8")).toBe('{"a":1}\n\n{"a":2}\n');
    const g = file('{"a":1}\n{"a":');
    expect(await cutPartialLine(g)).toBe(5);
    expect(readFileSync(g, "utf8")).toBe('{"a":1}\n');
    expect(await cutPartialLine(g)).toBe(0);
  });

  it("encodes rows as UTF-8 lines, growing its buffer for long and multi-byte rows", () => {
    const rows = [
      { a: 1 },
      { t: 'é中😀\n"q"' },
      { long: "字".repeat(5000) },
      ...Array.from({ length: 300 }, (_, i) => ({ i, s: "x".repeat(i) })),
    ];
    const text = jsonlBytes(rows).toString("utf8");
    expect(text).toBe(`${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    expect(jsonlBytes([]).length).toBe(0);
  });

  // Both ways of encoding, whichever this runtime's V8 uses by default.
  it.each([true, false])(
    "encodes a batch with one stringify when that is exact, and line by line when it is not (whole batches: %s)",
    (whole) => {
      const lines = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
      const flat = Array.from({ length: 50 }, (_, i) => ({
        q: `question ${i} é中😀`,
        n: i,
        tags: ["a", "b"],
        none: null,
        nested: { x: i },
      }));
      const encoder = new JsonlEncoder(whole);
      expect(encoder.encode(flat).toString("utf8")).toBe(lines(flat));
      // "},{" inside a string or a nested list of objects: counted, so the batch falls back, exactly.
      const tricky = [{ s: "a},{b" }, { list: [{ a: 1 }, { b: 2 }] }, {}, { s: "}\n{" }];
      expect(encoder.encode(tricky).toString("utf8")).toBe(lines(tricky));
      // Later batches of that store go line by line straight away; output is the same either way.
      expect(encoder.encode(flat).toString("utf8")).toBe(lines(flat));
      // Not plain objects (a Date, toJSON, a string, null), and BigInt values.
      const odd = [{ a: 1 }, new Date(0), { toJSON: () => "x},{y" }, "text", null];
      expect(new JsonlEncoder(whole).encode(odd).toString("utf8")).toBe(lines(odd));
      expect(
        new JsonlEncoder(whole).encode([{ big: 12345678901234567890n }, { b: 1 }]).toString("utf8"),
      ).toBe('{"big":"12345678901234567890"}\n{"b":1}\n');
      expect(new JsonlEncoder(whole).encode([{ only: 1 }]).toString("utf8")).toBe('{"only":1}\n');
    },
  );

  it("copies records of a file digit wrote byte for byte, as reading and replacing them would", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      q: `question ${i} ${"é東".repeat(i % 7)}`,
      n: i,
      tags: i % 3 ? [] : [{ a: i }],
    }));
    const src = file(new JsonlEncoder().encode(rows).toString("utf8"));
    for (const [from, count] of [
      [0, 3000],
      [0, 1],
      [1234, 1000],
      [2999, 1],
    ] as const) {
      const slow = file("");
      await replaceJsonl(slow, (await all(readJsonl(src))).slice(from, from + count));
      const parts: Buffer[] = [];
      expect(
        await copyJsonlRecords(src, from, count, async (b) => parts.push(Buffer.from(b))),
      ).toBe(true);
      expect(Buffer.concat(parts).equals(readFileSync(slow))).toBe(true);
    }
    // Lines longer than the read chunk: every line continues into the next chunk.
    const long = Array.from({ length: 5 }, (_, i) => ({ i, s: "x".repeat(700_000) }));
    const big = file(new JsonlEncoder().encode(long).toString("utf8"));
    const got: Buffer[] = [];
    expect(await copyJsonlRecords(big, 1, 3, async (b) => got.push(Buffer.from(b)))).toBe(true);
    expect(Buffer.concat(got).toString()).toBe(
      long
        .slice(1, 4)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(""),
    );
  });

  it("refuses to copy lines that reading and writing would change, or too few records", async () => {
    const sink = async () => undefined;
    for (const text of [
      '{"a":1}\n\n{"a":2}\n', // blank line
      '{"a":1}\n  {"a":2}\n', // leading white space
      '{"a":1}\r\n{"a":2}\r\n', // CRLF
      '\ufeff{"a":1}\n{"a":2}\n', // byte order mark
      '{"a":1}\n{"a":2}', // the second record is an unterminated last line
    ])
      expect(await copyJsonlRecords(file(text), 0, 2, sink), JSON.stringify(text)).toBe(false);
    expect(await copyJsonlRecords(file('{"a":1}\n{"a":2}\n'), 0, 2, sink)).toBe(true);
  });
});
