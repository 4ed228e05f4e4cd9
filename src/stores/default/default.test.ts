import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, DataFileError, MissingFileError } from "../../errors.js";
import type { Logger } from "../../telemetry/logger.js";
import { DefaultDatastore } from "./index.js";

const AWKWARD = [
  { id: 1, text: "héllo wörld ✓ 日本語 🎉", tags: ["a", "b"], score: 0.5, ok: true },
  { id: 2, text: 'line one\nline two\r\n"quoted", comma', tags: [], score: -3, ok: false },
  {
    id: 3,
    text: null,
    tags: ["x"],
    nested: { a: { b: [1, 2, { c: null }] } },
    score: 1e21,
    ok: null,
  },
  {
    // biome-ignore lint/correctness/noPrecisionLoss: numbers beyond 2^53 are what this row tests
    id: 9007199254740993,
    text: "",
    tags: ["only"],
    score: 2 ** 53 + 2,
    ok: true,
    // biome-ignore lint/correctness/noPrecisionLoss: numbers beyond 2^53 are what this row tests
    big: 12345678901234567890,
  },
  { id: 5, text: "42", tags: ["null", "true", "[1]", '{"x":1}'], score: 0, ok: true, mixed: "s" },
  { id: 6, text: "tab\there", tags: ["é"], score: 7, ok: false, mixed: 3 },
];

function collect(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m) => void messages.push(m),
    error: (m) => void messages.push(m),
    child: () => logger,
  };
  return { logger, messages };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "digit-store-"));
});

function store(extra: Record<string, unknown> = {}): DefaultDatastore {
  return new DefaultDatastore({
    type: "default",
    store_name: "task/data",
    output_dir: dir,
    ...extra,
  });
}

/** Parquet has columns: a field absent from a row reads back as null. Undo that to compare. */
function withoutAddedNulls(
  back: Record<string, unknown>[],
  written: Record<string, unknown>[],
): Record<string, unknown>[] {
  return back.map((r, i) =>
    Object.fromEntries(Object.entries(r).filter(([k, v]) => v !== null || k in written[i]!)),
  );
}

describe.each(["jsonl", "parquet", "csv", "json"])("default datastore, %s output", (format) => {
  it("round-trips awkward values through append, in order", async () => {
    const s = store({ output_data_format: format });
    await s.append(AWKWARD.slice(0, 2));
    await s.append(AWKWARD.slice(2));
    expect(s.location).toBe(join(dir, `task/data.${format}`));
    expect(await s.exists()).toBe(true);
    const back = await s.readAll();
    expect(format === "parquet" ? withoutAddedNulls(back, AWKWARD) : back).toEqual(AWKWARD);
    // A new instance (a resumed process) reads the same.
    expect(await store({ output_data_format: format }).readAll()).toEqual(back);
  });

  it("replaces atomically from a generator, truncates exactly, clears", async () => {
    const s = store({ output_data_format: format });
    await s.append([{ n: -1 }]);
    async function* gen() {
      for (let i = 0; i < 25; i++) yield { n: i, s: `row ${i}`, l: [i] };
    }
    await s.replace(gen());
    expect((await s.readAll()).map((r) => r.n)).toEqual([...Array(25).keys()]);
    await s.truncate(10);
    expect((await s.readAll()).map((r) => r.n)).toEqual([...Array(10).keys()]);
    await s.append([{ n: 10, s: "row 10", l: [10] }]);
    expect((await s.readAll()).map((r) => r.n)).toEqual([...Array(11).keys()]);
    await s.truncate(0);
    expect(await s.readAll()).toEqual([]);
    await s.truncate(5); // beyond the end: nothing to drop
    await s.clear();
    await s.clear(); // idempotent
    expect(await s.exists()).toBe(false);
    expect(await s.readAll()).toEqual([]);
    expect(
      existsSync(join(dir, "task"))
        ? readdirSync(join(dir, "task")).filter((f) => f.includes("tmp"))
        : [],
    ).toEqual([]);
  });

  it("sources(): one source for its own output, readable from a row offset", async () => {
    const s = store({ output_data_format: format });
    await s.append([...Array(30).keys()].map((n) => ({ n })));
    const sources = await s.sources();
    expect(sources).toHaveLength(1);
    const rows: unknown[] = [];
    for await (const r of sources[0]!.rows(27)) rows.push(r);
    expect(rows).toEqual([{ n: 27 }, { n: 28 }, { n: 29 }]);
  });

  it("keeps every row when appends are issued concurrently", async () => {
    const s = store({ output_data_format: format });
    await Promise.all([...Array(12).keys()].map((i) => s.append([{ i }])));
    expect((await s.readAll()).map((r) => r.i).sort((a, b) => Number(a) - Number(b))).toEqual([
      ...Array(12).keys(),
    ]);
  });
});

describe("default datastore, reading inputs", () => {
  it("reads inline data first, then data_path files in sorted glob order (** included)", async () => {
    mkdirSync(join(dir, "in/sub"), { recursive: true });
    writeFileSync(join(dir, "in/b.jsonl"), '{"f":"b1"}\n{"f":"b2"}\n');
    writeFileSync(join(dir, "in/a.jsonl"), '{"f":"a1"}\n');
    writeFileSync(join(dir, "in/sub/c.yaml"), "- f: c1\n- f: c2\n");
    writeFileSync(join(dir, "in/sub/d.json"), '[{"f":"d1"}]');
    writeFileSync(join(dir, "in/notes.log"), "ignored");
    const s = new DefaultDatastore({
      type: "default",
      store_name: "seed",
      data: [{ f: "inline" }],
      data_path: join(dir, "in/**/*"),
    });
    const sources = await s.sources();
    expect(sources.map((x) => x.label.replace(dir, ""))).toEqual([
      "inline data of 'seed'",
      "/in/a.jsonl",
      "/in/b.jsonl",
      "/in/sub/c.yaml",
      "/in/sub/d.json",
    ]);
    expect((await s.readAll()).map((r) => r.f)).toEqual([
      "inline",
      "a1",
      "b1",
      "b2",
      "c1",
      "c2",
      "d1",
    ]);
    const filtered = new DefaultDatastore({
      type: "default",
      store_name: "seed",
      data_path: join(dir, "in/**/*"),
      data_formats: ["jsonl"],
    });
    expect((await filtered.readAll()).map((r) => r.f)).toEqual(["a1", "b1", "b2"]);
  });

  it("reads a folder, a list of paths, a single JSON object, YAML single documents, text files", async () => {
    writeFileSync(join(dir, "one.json"), '{"q":"only"}');
    writeFileSync(join(dir, "doc.yaml"), "q: yaml doc\n");
    writeFileSync(join(dir, "empty.yaml"), "");
    writeFileSync(join(dir, "readme.md"), "# Title\n\nBody ✓\n");
    const s = new DefaultDatastore({
      type: "default",
      store_name: "x",
      data_path: [
        join(dir, "one.json"),
        join(dir, "doc.yaml"),
        join(dir, "empty.yaml"),
        join(dir, "readme.md"),
      ],
    });
    expect(await s.readAll()).toEqual([
      { q: "only" },
      { q: "yaml doc" },
      { text: "# Title\n\nBody ✓\n", path: join(dir, "readme.md") },
    ]);
    const folder = new DefaultDatastore({
      type: "default",
      store_name: "x",
      data_path: dir,
      data_formats: [".json", "yaml"],
    });
    expect(await folder.readAll()).toEqual([{ q: "yaml doc" }, { q: "only" }]);
  });

  it("reads CSV inputs with DiGiT's options", async () => {
    writeFileSync(join(dir, "plain.csv"), '1, "x"\n2, "y"\n');
    writeFileSync(join(dir, "head.csv"), 'q;a\n"a;b";2\n');
    const plain = (extra: Record<string, unknown>) =>
      new DefaultDatastore({
        type: "default",
        store_name: "x",
        data_path: join(dir, "plain.csv"),
        ...extra,
      }).readAll();
    expect(await plain({})).toEqual([
      ["1", ' "x"'],
      ["2", ' "y"'],
    ]);
    expect(await plain({ skipinitialspace: true })).toEqual([
      ["1", "x"],
      ["2", "y"],
    ]);
    const head = new DefaultDatastore({
      type: "default",
      store_name: "x",
      data_path: join(dir, "head.csv"),
      has_header: true,
      delimiter: ";",
    });
    expect(await head.readAll()).toEqual([{ q: "a;b", a: "2" }]);
  });

  it("reads a Parquet store folder written by another store as input", async () => {
    const out = store({ output_data_format: "parquet" });
    await out.append([{ q: "a", n: 1 }]);
    await out.append([{ q: "b", n: 2 }]);
    const input = new DefaultDatastore({
      type: "default",
      store_name: "rater",
      data_path: out.location,
    });
    expect(await input.readAll()).toEqual([
      { q: "a", n: 1 },
      { q: "b", n: 2 },
    ]);
    const globbed = new DefaultDatastore({
      type: "default",
      store_name: "rater",
      data_path: join(dir, "**/*.parquet"),
    });
    expect(await globbed.sources()).toHaveLength(1);
  });
});

describe("default datastore, crash traces", () => {
  it("drops an unterminated JSONL last line with a warning naming the file, and cuts it before the next append", async () => {
    const { logger, messages } = collect();
    const s = store();
    s.prepare({ logger });
    await s.append([{ n: 1 }, { n: 2 }]);
    appendFileSync(s.location, '{"n": 3, "text": "cut he');
    expect(await s.readAll()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(messages.join("\n")).toContain(s.location);
    // Even a complete-looking record without its newline did not finish its append.
    const fresh = store();
    fresh.prepare({ logger });
    await fresh.append([{ n: 3 }]);
    expect(readFileSync(s.location, "utf8")).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    appendFileSync(s.location, '{"n":4}');
    const reader = store();
    reader.prepare({ logger });
    expect(await reader.readAll()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await store().truncate(3);
    expect(readFileSync(s.location, "utf8")).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it("drops an incomplete CSV record (open quote or no newline) and cuts it before the next append", async () => {
    const { logger, messages } = collect();
    const s = store({ output_data_format: "csv" });
    s.prepare({ logger });
    await s.append([{ a: "x", b: 1 }]);
    appendFileSync(s.location, 'y,"multi\nline');
    expect(await s.readAll()).toEqual([{ a: "x", b: 1 }]);
    expect(messages.some((m) => m.includes(s.location))).toBe(true);
    const again = store({ output_data_format: "csv" });
    again.prepare({ logger });
    await again.append([{ a: "z", b: 2 }]);
    expect(await again.readAll()).toEqual([
      { a: "x", b: 1 },
      { a: "z", b: 2 },
    ]);
    appendFileSync(s.location, "w,3");
    const reader = store({ output_data_format: "csv" });
    reader.prepare({ logger });
    expect(await reader.readAll()).toEqual([
      { a: "x", b: 1 },
      { a: "z", b: 2 },
    ]);
  });

  it("widens the CSV header when a later row brings a new field", async () => {
    const s = store({ output_data_format: "csv" });
    await s.append([{ a: 1 }]);
    await s.append([{ a: 2, b: "new" }]);
    expect(await s.readAll()).toEqual([{ a: 1 }, { a: 2, b: "new" }]);
    expect(readFileSync(s.location, "utf8").split("\n")[0]).toBe("a,b");
  });
});

describe("default datastore, errors", () => {
  afterEach(() => undefined);
  it("a missing file, a glob matching nothing", async () => {
    const missing = new DefaultDatastore({
      type: "default",
      store_name: "x",
      data_path: join(dir, "nope.jsonl"),
    });
    await expect(missing.sources()).rejects.toThrow(MissingFileError);
    await expect(missing.sources()).rejects.toThrow(/nope\.jsonl/);
    const glob = new DefaultDatastore({
      type: "default",
      store_name: "x",
      data_path: join(dir, "*.jsonl"),
    });
    await expect(glob.sources()).rejects.toThrow(DataFileError);
    await expect(glob.sources()).rejects.toThrow(/no data file matches data_path/);
  });

  it("a bad JSON line names file and line; on_bad_record: skip skips and reports the count", async () => {
    const f = join(dir, "bad.jsonl");
    writeFileSync(f, '{"a":1}\n\n{oops}\n{"a":2}\n{also bad\n{"a":3}\n');
    const strict = new DefaultDatastore({ type: "default", store_name: "x", data_path: f });
    const err = await strict.readAll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileError);
    expect((err as DataFileError).file).toBe(f);
    expect((err as DataFileError).line).toBe(3);
    const { logger, messages } = collect();
    const lenient = new DefaultDatastore({
      type: "default",
      store_name: "x",
      data_path: f,
      on_bad_record: "skip",
    });
    lenient.prepare({ logger });
    expect(await lenient.readAll()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(messages.join()).toMatch(/skipped 2 line\(s\).*first at line 3/);
  });

  it("ragged CSV, invalid JSON, Parquet that is not Parquet, unknown extension, unreadable file", async () => {
    writeFileSync(join(dir, "ragged.csv"), "a,b\n1,2\n3\n");
    writeFileSync(join(dir, "broken.json"), '[{"a":1},\n{"a":]');
    writeFileSync(join(dir, "fake.parquet"), "this is not parquet at all");
    writeFileSync(join(dir, "data.xml"), "<a/>");
    mkdirSync(join(dir, "dir.jsonl"));
    const read = (p: string, extra: Record<string, unknown> = {}) =>
      new DefaultDatastore({ type: "default", store_name: "x", data_path: join(dir, p), ...extra })
        .readAll()
        .catch((e: unknown) => e);
    for (const header of [false, true]) {
      const e = (await read("ragged.csv", { has_header: header })) as DataFileError;
      expect(e).toBeInstanceOf(DataFileError);
      expect(e.message).toMatch(/ragged CSV/);
      expect(e.line).toBe(3);
      expect(e.file).toBe(join(dir, "ragged.csv"));
    }
    const j = (await read("broken.json")) as DataFileError;
    expect(j).toBeInstanceOf(DataFileError);
    expect(j.file).toBe(join(dir, "broken.json"));
    const p = (await read("fake.parquet")) as DataFileError;
    expect(p).toBeInstanceOf(DataFileError);
    expect(p.message).toMatch(/not a Parquet file/);
    expect(await read("data.xml")).toBeInstanceOf(DataFileError);
    expect(await read("dir.jsonl")).toBeInstanceOf(DataFileError);
  });

  it("bad configuration: output format, on_bad_record, data, writing without output_dir", async () => {
    expect(() => store({ output_data_format: "yaml" })).toThrow(ConfigError);
    expect(() => store({ output_data_format: "xlsx" })).toThrow(/xlsx/);
    expect(() => store({ on_bad_record: "ignore" })).toThrow(ConfigError);
    expect(() => store({ data: { a: 1 } })).toThrow(ConfigError);
    const ro = new DefaultDatastore({ type: "default", store_name: "x" });
    await expect(ro.append([{ a: 1 }])).rejects.toThrow(/no output_dir/);
    expect(await ro.exists()).toBe(false);
  });
});
