import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import * as pw from "parquet-wasm";
import { describe, expect, it } from "vitest";
import { DataFileError } from "../../../errors.js";
import { inferColumns, mergeKinds, valueKind } from "./columns.js";
import { encodeParquet, readParquetFile } from "./file.js";
import { listParts, ParquetParts, partName, readParquetFolder } from "./parts.js";

const tmp = () => mkdtempSync(join(tmpdir(), "digit-pq-"));

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("column inference", () => {
  it("keeps integers as integers, lists as lists, and falls back to JSON for nested or mixed values", () => {
    expect(valueKind(1)).toBe("int");
    expect(valueKind(1.5)).toBe("float");
    expect(valueKind(2 ** 60)).toBe("float"); // not a safe integer
    expect(valueKind(["a"])).toBe("list<string>");
    expect(valueKind([])).toBe("list<null>");
    expect(valueKind([1, [2]])).toBe("json");
    expect(valueKind({ a: 1 })).toBe("json");
    expect(mergeKinds("int", "float")).toBe("float");
    expect(mergeKinds("list<null>", "list<int>")).toBe("list<int>");
    expect(mergeKinds("string", "int")).toBe("json");
    expect(mergeKinds("null", "bool")).toBe("bool");
    expect([
      ...inferColumns([
        { a: 1, b: null },
        { a: 2.5, c: ["x"] },
      ]),
    ]).toEqual([
      ["a", "float"],
      ["b", "null"],
      ["c", "list<string>"],
    ]);
  });

  it("writes explicit Arrow types that other readers see (Int64, List<Utf8>, JSON marked strings)", () => {
    const bytes = encodeParquet([{ n: 1, f: 0.5, t: ["a"], o: { x: 1 }, b: true, s: "é" }]);
    const table = tableFromIPC(pw.readParquet(bytes).intoIPCStream());
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      n: "Int64",
      f: "Float64",
      t: "List<Utf8>",
      o: "Utf8",
      b: "Bool",
      s: "Utf8",
    });
    expect(table.schema.fields.find((f) => f.name === "o")!.metadata.get("digit.json")).toBe("1");
  });
});

describe("Parquet part folder", () => {
  it("appends parts named by their rows, reads from any offset, merges small parts", async () => {
    const dir = join(tmp(), "data.parquet");
    const store = new ParquetParts(dir);
    for (let i = 0; i < 20; i++) await store.append([{ i, s: `r${i}` }]);
    const names = readdirSync(dir).sort();
    // 8 one-row parts merged into one of 8 rows, twice; 4 one-row parts left.
    expect(names).toEqual([
      partName(0, 8),
      partName(8, 16),
      partName(16, 17),
      partName(17, 18),
      partName(18, 19),
      partName(19, 20),
    ]);
    expect(await store.count()).toBe(20);
    expect((await all(store.rows(0))).map((r) => r.i)).toEqual([...Array(20).keys()]);
    expect((await all(store.rows(7))).map((r) => r.i)).toEqual(
      [...Array(13).keys()].map((k) => k + 7),
    );
    expect(await all(store.rows(25))).toEqual([]);
  });

  it("ignores and then deletes parts left by an interrupted merge or truncation, and temporary files", async () => {
    const dir = join(tmp(), "data.parquet");
    const store = new ParquetParts(dir);
    await store.append([{ i: 0 }, { i: 1 }]);
    await store.append([{ i: 2 }]);
    // A merge that wrote [0,3) but died before deleting the small parts, plus a half-written temp.
    writeFileSync(join(dir, partName(0, 3)), encodeParquet([{ i: 0 }, { i: 1 }, { i: 2 }]));
    writeFileSync(join(dir, ".tmp-1-part.parquet"), "half");
    expect((await listParts(dir)).live.map((p) => [p.start, p.end])).toEqual([[0, 3]]);
    expect((await all(new ParquetParts(dir).rows())).map((r) => r.i)).toEqual([0, 1, 2]);
    await new ParquetParts(dir).append([{ i: 3 }]);
    expect(readdirSync(dir).sort()).toEqual([partName(0, 3), partName(3, 4)]);
  });

  it("truncates inside a part exactly", async () => {
    const dir = join(tmp(), "data.parquet");
    const store = new ParquetParts(dir);
    await store.append([{ i: 0 }, { i: 1 }, { i: 2 }]);
    await store.append([{ i: 3 }, { i: 4 }]);
    await store.truncate(2);
    expect(readdirSync(dir)).toEqual([partName(0, 2)]);
    expect((await all(store.rows())).map((r) => r.i)).toEqual([0, 1]);
  });

  it("finishes a replace that a crash interrupted between the two renames", async () => {
    const root = tmp();
    const dir = join(root, "data.parquet");
    const store = new ParquetParts(dir);
    await store.append([{ v: "old" }]);
    // Simulate: new folder complete, old one moved away, crash before the new one moved in.
    mkdirSync(`${dir}.replacing`);
    writeFileSync(
      join(`${dir}.replacing`, partName(0, 2)),
      encodeParquet([{ v: "new" }, { v: "new2" }]),
    );
    renameSync(dir, `${dir}.old`);
    expect((await all(new ParquetParts(dir).rows())).map((r) => r.v)).toEqual(["new", "new2"]);
    await new ParquetParts(dir).append([{ v: "after" }]);
    expect(existsSync(`${dir}.old`)).toBe(false);
    expect((await all(new ParquetParts(dir).rows())).map((r) => r.v)).toEqual([
      "new",
      "new2",
      "after",
    ]);
  });

  it("streams a replace into one file while the schema holds, a new part from the chunk where it changes", async () => {
    const dir = join(tmp(), "data.parquet");
    const store = new ParquetParts(dir);
    async function* rows() {
      for (let i = 0; i < 120_000; i++) yield { i, s: "x" };
      yield { i: "now a string" };
    }
    await store.replace(rows());
    // Chunks of 50,000 rows: the third one mixes numbers and a string, so it starts a new part.
    expect(readdirSync(dir).sort()).toEqual([partName(0, 100_000), partName(100_000, 120_001)]);
    const tail = await all(store.rows(119_999));
    expect(tail).toEqual([
      { i: 119_999, s: "x" },
      { i: "now a string", s: null },
    ]);
  });

  it("reports a gap in the folder and a file that is not Parquet", async () => {
    const dir = join(tmp(), "data.parquet");
    mkdirSync(dir);
    writeFileSync(join(dir, partName(5, 6)), encodeParquet([{ a: 1 }]));
    await expect(listParts(dir)).rejects.toThrow(/inconsistent/);
    const bad = join(tmp(), "x.parquet");
    writeFileSync(bad, "PAR1 but not really");
    await expect(all(readParquetFile(bad))).rejects.toThrow(DataFileError);
  });

  it("refuses a FIFO among the files of a Parquet folder as what it is", async () => {
    const dir = join(tmp(), "ds.parquet");
    mkdirSync(dir);
    execFileSync("mkfifo", [join(dir, "a.parquet")]);
    await expect(all(readParquetFolder(dir))).rejects.toThrow(
      /a\.parquet' is a FIFO \(named pipe\), not a regular file/,
    );
  });
});

describe("a file that makes the wasm decoder trap", () => {
  /** A small Parquet file with a few bytes of its first data pages scrambled (footer intact). */
  function corrupt(rows: readonly Record<string, unknown>[], seed: number): Buffer {
    const bytes = Buffer.from(encodeParquet(rows));
    let x = seed;
    for (let k = 0; k < 8; k++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      bytes[4 + (x % 200)] = (x >> 8) & 0xff;
    }
    return bytes;
  }

  it("fails as a DataFileError naming the file; later reads and a stream already open go on", async () => {
    const dir = tmp();
    const rows = Array.from({ length: 50 }, (_, i) => ({ n: i, text: `seed number ${i}` }));
    const good = join(dir, "good.parquet");
    const bad = join(dir, "bad.parquet");
    writeFileSync(good, encodeParquet(Array.from({ length: 30 }, (_, i) => ({ i }))));
    writeFileSync(bad, corrupt(rows, 1));
    // A stream of the good file is open (one batch read) when the bad file is read.
    const open = readParquetFile(good, { batchSize: 10 });
    const first = await open.next();
    expect(first.value).toEqual({ i: 0 });
    const e = await all(readParquetFile(bad)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect((e as DataFileError).file).toBe(bad);
    expect((e as DataFileError).message).toMatch(/row group 0 \(rows 0–49\)/);
    const rest: unknown[] = [];
    for await (const r of open) rest.push(r);
    expect(rest.map((r) => (r as { i: number }).i)).toEqual(
      [...Array(29).keys()].map((k) => k + 1),
    );
    expect((await all(readParquetFile(good))).length).toBe(30);
  });
});
