/**
 * CSV. Input files follow DiGiT's options (`has_header`, `delimiter`, `quotechar`,
 * `skipinitialspace`): without a header every row is a list of strings, with one every row is a
 * record of strings. A store's own CSV output is typed: it always has a header, and cells hold
 * values so that they read back exactly:
 *
 * - a string is written as is, unless it would read back as something else (`""`, `null`,
 *   `true`, `42`, `[…`, `{…`, `"…`): then it is written JSON-quoted;
 * - numbers, booleans and `null` are written as JSON (`42`, `true`, `null`);
 * - lists and objects are written as JSON text;
 * - an absent field is an empty cell (and reads back absent).
 *
 * Records are always terminated by a newline, so a crash mid-append leaves a tail without one (or
 * an unclosed quote); readers drop that tail with a warning and the next append cuts it off.
 */
import { createReadStream } from "node:fs";
import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  rm,
  stat,
  truncate as truncateFile,
} from "node:fs/promises";
import { dirname } from "node:path";
import { type Info, type Options as ParseOptions, parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import { DataFileError } from "../../errors.js";
import { TextSink, tempName, writeAtomic } from "./atomic.js";
import { readJsonl } from "./jsonl.js";
import { describeBytes, MAX_RECORD_BYTES, type ReadOptions, toJson } from "./types.js";

const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * The cell text for a value in a typed CSV (see the module comment).
 *
 * @example
 * encodeCell("hi") // "hi";  encodeCell("42") // '"42"';  encodeCell(42) // "42"
 */
export function encodeCell(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "string") return looksTyped(v) ? JSON.stringify(v) : v;
  return toJson(v) ?? "";
}

function looksTyped(s: string): boolean {
  if (s === "") return true;
  const c = s.charCodeAt(0);
  // " [ { - digit t f n
  if (c === 34 || c === 91 || c === 123) return true;
  if (s === "null" || s === "true" || s === "false") return true;
  return (c === 45 || (c >= 48 && c <= 57)) && NUMBER.test(s);
}

/**
 * The value of a typed CSV cell (`undefined` = absent field).
 *
 * @example
 * decodeCell('"42"') // "42";  decodeCell("42") // 42;  decodeCell("") // undefined
 */
export function decodeCell(s: string): unknown {
  if (s === "") return undefined;
  if (!looksTyped(s)) return s;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

interface ParsedRecord {
  record: string[] | Record<string, string>;
  info: Info;
}

function parser(options: ParseOptions): ReturnType<typeof parse> {
  return parse({ ...options, info: true });
}

function records(file: string, options: ParseOptions): AsyncIterable<ParsedRecord> {
  const p = parser(options);
  const src = createReadStream(file, { highWaterMark: 1 << 20 });
  src.on("error", (e) => p.destroy(e));
  src.pipe(p);
  return p as AsyncIterable<ParsedRecord>;
}

function csvError(e: unknown, file: string): DataFileError {
  const err = e as { code?: string; lines?: number; message?: string };
  if (err.code === "ENOENT" || err.code === "EACCES" || err.code === "EISDIR") {
    return new DataFileError(`cannot read data file: ${err.message}`, { file });
  }
  const ragged =
    err.code === "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH" ||
    err.code === "CSV_RECORD_INCONSISTENT_COLUMNS";
  return new DataFileError(
    ragged ? `ragged CSV: ${err.message}` : `CSV syntax error: ${err.message ?? String(e)}`,
    {
      file,
      line: err.lines,
      hint: ragged
        ? "every row must have as many fields as the first one (or the header)"
        : "check the quoting near that line, or set delimiter / quotechar on the datastore",
      cause: e,
    },
  );
}

/**
 * Stream the rows of a CSV file with DiGiT's options (lists of strings, or records with
 * `has_header: true`); with `ownOutput`, the typed records of a store's own CSV.
 *
 * @example
 * for await (const row of readCsv("seeds.csv", { csv: { has_header: true } })) console.log(row);
 */
export async function* readCsv(file: string, options: ReadOptions = {}): AsyncGenerator<unknown> {
  if (options.ownOutput) {
    yield* readOwnCsv(file, options);
    return;
  }
  const o = options.csv ?? {};
  let skip = options.skip ?? 0;
  const maxRecord = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  try {
    for await (const { record } of records(file, {
      // The parser stops here rather than buffer a huge record (an unclosed quote, a giant cell).
      max_record_size: maxRecord,
      delimiter: o.delimiter ?? ",",
      quote: o.quotechar ?? '"',
      ltrim: o.skipinitialspace ?? false,
      relax_quotes: true,
      columns: !!o.has_header,
      skip_empty_lines: true,
      bom: true,
    })) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield record;
    }
  } catch (e) {
    if ((e as { code?: string }).code === "CSV_MAX_RECORD_SIZE") {
      const line = (e as { lines?: number }).lines;
      throw new DataFileError(
        `the CSV record at line ${line ?? "?"} is longer than ${describeBytes(maxRecord)}, the longest record digit reads`,
        {
          file,
          line,
          hint: "check for an unclosed quote near that line, or split the record",
        },
      );
    }
    throw csvError(e, file);
  }
}

/** One complete record of a store's own CSV, with the byte offset just after it. */
interface OwnRecord {
  cells: string[];
  end: number;
}

async function fileTail(file: string): Promise<{ size: number; endsWithNewline: boolean }> {
  let h: FileHandle;
  try {
    h = await open(file, "r");
  } catch (e) {
    throw new DataFileError(`cannot read data file: ${(e as Error).message}`, { file });
  }
  try {
    const { size } = await h.stat();
    if (size === 0) return { size, endsWithNewline: true };
    const b = Buffer.alloc(1);
    await h.read(b, 0, 1, size - 1);
    return { size, endsWithNewline: b[0] === 0x0a };
  } finally {
    await h.close();
  }
}

/**
 * The records of a store's own CSV, header first. A tail that is not a complete record (no final
 * newline, or a quote left open) is reported through `onPartial` with the offset where the clean
 * part ends, and not yielded.
 */
async function* ownRecords(
  file: string,
  onPartial: (cleanEnd: number, size: number) => void,
): AsyncGenerator<OwnRecord> {
  const { size, endsWithNewline } = await fileTail(file);
  if (size === 0) return;
  let cleanEnd = 0;
  try {
    for await (const { record, info } of records(file, { bom: true })) {
      if (!endsWithNewline && info.bytes >= size) {
        onPartial(cleanEnd, size);
        return;
      }
      cleanEnd = info.bytes;
      yield { cells: record as string[], end: info.bytes };
    }
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    const code = (e as { code?: string }).code;
    if (code === "CSV_QUOTE_NOT_CLOSED" || (!endsWithNewline && code?.startsWith("CSV_"))) {
      onPartial(cleanEnd, size);
      return;
    }
    throw csvError(e, file);
  }
}

function warnPartial(file: string, warn: ((m: string) => void) | undefined) {
  return (cleanEnd: number, size: number) =>
    warn?.(
      `${file}: dropping an incomplete last CSV record (${size - cleanEnd} bytes), left by an interrupted write`,
    );
}

function decodeRow(columns: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const v = decodeCell(cells[i] ?? "");
    if (v !== undefined) row[columns[i]!] = v;
  }
  return row;
}

async function* readOwnCsv(file: string, options: ReadOptions): AsyncGenerator<unknown> {
  let skip = options.skip ?? 0;
  let columns: string[] | undefined;
  for await (const { cells } of ownRecords(file, warnPartial(file, options.warn))) {
    if (columns === undefined) {
      columns = cells;
      continue;
    }
    if (skip > 0) {
      skip--;
      continue;
    }
    yield decodeRow(columns, cells);
  }
}

/** What a scan of a store's own CSV found. */
export interface CsvScan {
  columns: string[] | undefined;
  /** Complete data records (the header excluded). */
  count: number;
  /** Byte offset just after the last complete record kept. */
  cleanEnd: number;
  size: number;
}

/**
 * Scan a store's own CSV: its header, its complete records and where they end. With `limit`, stop
 * after that many records (`cleanEnd` is then the offset just after record `limit`).
 *
 * @example
 * const { columns, count } = await scanCsv("out/data.csv");
 */
export async function scanCsv(
  file: string,
  limit = Infinity,
  warn?: (m: string) => void,
): Promise<CsvScan> {
  const scan: CsvScan = { columns: undefined, count: 0, cleanEnd: 0, size: 0 };
  const onPartial = (cleanEnd: number, size: number) => {
    scan.size = size;
    warnPartial(file, warn)(cleanEnd, size);
  };
  for await (const { cells, end } of ownRecords(file, onPartial)) {
    if (scan.columns === undefined) {
      scan.columns = cells;
      scan.cleanEnd = end;
      if (limit === 0) break;
      continue;
    }
    scan.count++;
    scan.cleanEnd = end;
    if (scan.count >= limit) break;
  }
  scan.size = (await stat(file)).size;
  return scan;
}

function encodeRows(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return stringify(
    rows.map((r) => columns.map((c) => encodeCell(r[c]))),
    { record_delimiter: "\n" },
  );
}

function headerText(columns: readonly string[]): string {
  return stringify([columns as string[]], { record_delimiter: "\n" });
}

function newColumns(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): string[] {
  const known = new Set(columns);
  const added: string[] = [];
  for (const r of rows) {
    for (const k in r) {
      if (known.has(k)) continue;
      known.add(k);
      added.push(k);
    }
  }
  return added;
}

/**
 * A store's own CSV output file. The header is written when the file is new; a field first seen
 * in a later append widens the header by rewriting the file (atomically). The first append of a
 * process checks the file and cuts an incomplete tail left by a crash.
 *
 * @example
 * const out = new CsvFile("out/data.csv", console.warn);
 * await out.append([{ q: "Why?", tags: ["a"] }]);
 */
export class CsvFile {
  private columns: string[] | undefined;
  private checked = false;

  constructor(
    readonly path: string,
    private readonly warn?: (m: string) => void,
  ) {}

  /** Rows from `skip` on. */
  rows(skip = 0): AsyncGenerator<unknown> {
    return readOwnCsv(this.path, { skip, warn: this.warn });
  }

  async append(rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.check();
    this.checked = false; // until this write is known to be complete
    if (this.columns === undefined) {
      this.columns = newColumns([], rows);
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(
        this.path,
        headerText(this.columns) + encodeRows(this.columns, rows),
        "utf8",
      );
    } else {
      const added = newColumns(this.columns, rows);
      if (added.length) await this.widen([...this.columns, ...added]);
      await appendFile(this.path, encodeRows(this.columns, rows), "utf8");
    }
    this.checked = true;
  }

  async replace(
    rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
  ): Promise<void> {
    // The header comes first, but with a stream the columns are known only at its end: spool the
    // rows to a temporary JSONL file while collecting the columns, then write the CSV from it.
    if (Array.isArray(rows)) {
      const list = rows as Record<string, unknown>[];
      await this.writeAll(newColumns([], list), async (push) => push(list));
      return;
    }
    const spool = `${tempName(this.path)}-spool.jsonl`;
    await mkdir(dirname(this.path), { recursive: true });
    const columns: string[] = [];
    try {
      const h = await open(spool, "w");
      try {
        const sink = new TextSink(h);
        for await (const r of rows) {
          for (const c of newColumns(columns, [r])) columns.push(c);
          await sink.push(`${toJson(r)}\n`);
        }
        await sink.flush();
      } finally {
        await h.close();
      }
      await this.writeAll(columns, async (push) => {
        let batch: Record<string, unknown>[] = [];
        for await (const r of readJsonl(spool)) {
          batch.push(r as Record<string, unknown>);
          if (batch.length >= 4096) {
            await push(batch);
            batch = [];
          }
        }
        await push(batch);
      });
    } finally {
      await rm(spool, { force: true });
    }
  }

  /** Write the whole file atomically with these columns from batches of rows. */
  private async writeAll(
    columns: string[],
    produce: (push: (rows: readonly Record<string, unknown>[]) => Promise<void>) => Promise<void>,
  ): Promise<void> {
    await writeAtomic(this.path, async (h) => {
      const sink = new TextSink(h);
      if (columns.length) await sink.push(headerText(columns));
      await produce(async (batch) => {
        if (batch.length) await sink.push(encodeRows(columns, batch));
      });
      await sink.flush();
    });
    this.columns = columns.length ? columns : undefined;
    this.checked = true;
  }

  async truncate(count: number): Promise<void> {
    if (!(await exists(this.path))) return;
    const scan = await scanCsv(this.path, count, this.warn);
    await truncateFile(this.path, scan.cleanEnd);
    this.columns = scan.columns;
    this.checked = true;
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
    this.columns = undefined;
    this.checked = true;
  }

  /** Once per process: learn the header and cut an incomplete tail. */
  private async check(): Promise<void> {
    if (this.checked) return;
    if (!(await exists(this.path))) {
      this.columns = undefined;
      this.checked = true;
      return;
    }
    const scan = await scanCsv(this.path, Infinity, this.warn);
    if (scan.cleanEnd < scan.size) await truncateFile(this.path, scan.cleanEnd);
    this.columns = scan.columns;
    this.checked = true;
  }

  /** Rewrite the file with more columns (old rows get empty cells for them), atomically. */
  private async widen(columns: string[]): Promise<void> {
    const from = this.path;
    await this.writeAll(columns, async (push) => {
      let batch: Record<string, unknown>[] = [];
      for await (const row of readOwnCsv(from, { warn: this.warn })) {
        batch.push(row as Record<string, unknown>);
        if (batch.length >= 4096) {
          await push(batch);
          batch = [];
        }
      }
      await push(batch);
    });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
