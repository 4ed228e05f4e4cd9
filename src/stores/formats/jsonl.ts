/**
 * JSON Lines: one JSON value per line. Reads stream in constant memory; an append is one write
 * of whole lines, so a crash can leave at most one unterminated last line, which readers drop
 * (with a warning naming the file) and the next append cuts off.
 */
import { isAscii } from "node:buffer";
import { createReadStream } from "node:fs";
import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  truncate as truncateFile,
} from "node:fs/promises";
import { dirname } from "node:path";
import { DataFileError } from "../../errors.js";
import { TextSink, writeAtomic } from "./atomic.js";
import { describeBytes, flatten, MAX_RECORD_BYTES, type ReadOptions, toJson } from "./types.js";

const CHUNK = 1 << 20;
/** Lines per batch the reader yields (one more when a line continued from the last chunk). */
const BATCH_LINES = 1024;

/**
 * Stream the values of a JSONL file. A bad line is a DataFileError naming file and line, or with
 * `onBadRecord: "skip"` is skipped and counted (one warning at the end). An unterminated last line
 * that does not parse — what a crash mid-write leaves — is dropped with a warning; in a store's own
 * output (`ownOutput`) any unterminated last line is dropped, because its append never completed.
 *
 * @example
 * for await (const row of readJsonl("seeds.jsonl", { skip: 2 })) console.log(row);
 */
export function readJsonl(file: string, options: ReadOptions = {}): AsyncIterableIterator<unknown> {
  return flatten(readJsonlBatches(file, options));
}

/**
 * The values of a JSONL file, about 1,024 at a time (see `readJsonl`). Lines are found in the raw
 * bytes and each is decoded on its own: decoding a whole chunk into one string first costs twice
 * as much when the text is not ASCII. The lines of a batch that is all ASCII are decoded one byte
 * per character, which gives the same text faster than UTF-8 decoding. A UTF-8 byte order mark
 * at the start is skipped. A line longer than `MAX_RECORD_BYTES` (64 MiB) is a DataFileError
 * naming file and line, raised before more than that much of it is held.
 */
export async function* readJsonlBatches(
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<unknown[]> {
  const skipBad = options.onBadRecord === "skip";
  let toSkip = options.skip ?? 0;
  let lineNo = 0;
  let bad = 0;
  let firstBad = 0;
  /** The start of a line that continues into the next chunk (pieces, joined once the line ends). */
  let carry: Buffer[] = [];
  let carryBytes = 0;
  const maxLine = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  const tooLong = (): DataFileError =>
    new DataFileError(
      `line ${lineNo + 1} is longer than ${describeBytes(maxLine)}, the longest JSONL line digit reads`,
      {
        file,
        line: lineNo + 1,
        hint: "split the record, or check that the file really is JSON Lines (one JSON value per line)",
      },
    );
  let first = true;
  /** Where each line of the batch being read ends (its newline). */
  const ends = new Int32Array(BATCH_LINES);
  const parse = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      if (!skipBad) {
        throw new DataFileError(
          `line ${lineNo} is not valid JSON: ${line.length > 80 ? `${line.slice(0, 80)}…` : line}`,
          {
            file,
            line: lineNo,
            hint: "fix or remove that line, or set on_bad_record: skip on the datastore to skip such lines",
          },
        );
      }
      if (bad++ === 0) firstBad = lineNo;
      return BAD;
    }
  };
  /**
   * One complete line (without its newline) into `batch`, unless blank, skipped or bad. `ascii`:
   * the line is known to be ASCII, so a one-byte decoding gives the same text, faster.
   */
  const take = (
    bytes: Buffer,
    start: number,
    end: number,
    batch: unknown[],
    ascii = false,
  ): void => {
    lineNo++;
    if (start === end || (bytes[start]! <= 32 && bytes.toString("utf8", start, end).trim() === ""))
      return;
    // Skipped rows were read (and validated) by the pass that counted them, so with the
    // default policy they need no parsing; with "skip" they must be parsed to count alike.
    if (toSkip > 0 && !skipBad) {
      toSkip--;
      return;
    }
    const value = parse(bytes.toString(ascii ? "latin1" : "utf8", start, end));
    if (value === BAD) return;
    if (toSkip > 0) toSkip--;
    else batch.push(value);
  };
  for await (const chunk of chunksOf(file)) {
    let bytes = chunk;
    if (first) {
      first = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    let batch: unknown[] = [];
    let start = 0;
    let nl = bytes.indexOf(0x0a);
    if (carry.length && nl >= 0) {
      if (carryBytes + nl > maxLine) throw tooLong();
      const line = Buffer.concat([...carry, bytes.subarray(0, nl)]);
      carry = [];
      carryBytes = 0;
      take(line, 0, line.length, batch);
      start = nl + 1;
      nl = bytes.indexOf(0x0a, start);
    }
    // Lines go out in batches of at most BATCH_LINES, each parsed only when the one before was
    // taken: fewer records alive at once means less for the garbage collector to copy.
    while (nl >= 0) {
      const from = start;
      let lines = 0;
      for (; nl >= 0 && lines < BATCH_LINES; nl = bytes.indexOf(0x0a, nl + 1), lines++) {
        if (nl - start > maxLine) {
          lineNo += lines;
          throw tooLong();
        }
        ends[lines] = nl;
        start = nl + 1;
      }
      const ascii = isAscii(bytes.subarray(from, start));
      let at = from;
      for (let i = 0; i < lines; i++) {
        take(bytes, at, ends[i]!, batch, ascii);
        at = ends[i]! + 1;
      }
      if (batch.length) {
        yield batch;
        batch = [];
      }
    }
    if (start < bytes.length) {
      carry.push(bytes.subarray(start));
      carryBytes += bytes.length - start;
      if (carryBytes > maxLine) throw tooLong();
    }
    if (batch.length) yield batch;
  }
  const pending = Buffer.concat(carry).toString("utf8");
  if (pending.trim()) {
    lineNo++;
    let value: unknown = BAD;
    if (!options.ownOutput) {
      try {
        value = JSON.parse(pending);
      } catch {
        value = BAD;
      }
    }
    if (value === BAD) {
      options.warn?.(
        `${file}: dropping an unterminated last line (${Buffer.byteLength(pending)} bytes), left by an interrupted write`,
      );
    } else if (toSkip > 0) toSkip--;
    else yield [value];
  }
  if (bad > 0)
    options.warn?.(
      `${file}: skipped ${bad} line(s) that are not valid JSON (first at line ${firstBad})`,
    );
}

const BAD: unique symbol = Symbol("bad");

/** The bytes of a file in chunks; a read failure (permissions, I/O) is a DataFileError naming it. */
async function* chunksOf(file: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK }))
      yield chunk as Buffer;
  } catch (e) {
    throw new DataFileError(`cannot read data file: ${(e as Error).message}`, { file });
  }
}

/**
 * Serialise rows as JSONL, UTF-8 encoded. Each line is encoded straight into one buffer, which is
 * faster than building one long string and encoding it afterwards on V8 before 13
 * (docs/architecture.md).
 *
 * @example
 * jsonlBytes([{ a: 1 }, { a: 2 }]).toString() // '{"a":1}\n{"a":2}\n'
 */
export function jsonlBytes(rows: readonly unknown[]): Buffer {
  let buf = Buffer.allocUnsafe(Math.max(1024, rows.length * 256));
  let end = 0;
  for (const r of rows) {
    const line = toJson(r) ?? "null";
    const need = end + line.length * 3 + 1; // a UTF-16 unit is at most 3 UTF-8 bytes
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, need));
      buf.copy(bigger, 0, 0, end);
      buf = bigger;
    }
    end += buf.write(line, end, "utf8");
    buf[end++] = 0x0a;
  }
  return buf.subarray(0, end);
}

/** Rows as JSONL: one string of all lines, encoded once (the fastest way on V8 13). */
function joinedJsonl(rows: readonly unknown[]): Buffer {
  let text = "";
  for (const r of rows) text += `${toJson(r) ?? "null"}\n`;
  return Buffer.from(text, "utf8");
}

/**
 * Whether one `JSON.stringify` of a whole batch is the faster way to encode it on this runtime:
 * on V8 before 13 (Node 20 and 22) it is; on V8 13 (Node 24) a string per row is faster to make
 * and the batch-wide string slower to encode, about 3× in all (docs/performance.md).
 */
export const STRINGIFY_WHOLE_BATCHES = Number.parseInt(process.versions.v8, 10) < 13;

/**
 * Encodes batches of rows as JSONL, the fastest way the runtime has. With `wholeBatches` (default:
 * `STRINGIFY_WHOLE_BATCHES`): one `JSON.stringify` of the whole batch, whose element separators
 * `},{` become newlines (one call instead of one per row: about 40 % less time stringifying, 18 %
 * less in all). That is exact only when every row is a plain object and `},{` occurs nowhere else,
 * which is checked by counting: n plain objects give exactly n - 1 separators, and any `},{`
 * inside a string or a nested list adds to the count. Otherwise the batch is encoded line by line
 * (`jsonlBytes`), and so are later batches (data of one store keeps its shape). Without it: one
 * string of all the rows' lines, encoded once. The bytes are the same every way.
 *
 * @example
 * const encoder = new JsonlEncoder();
 * await appendFile("out.jsonl", encoder.encode([{ a: 1 }, { a: 2 }]));
 */
export class JsonlEncoder {
  private whole = true;

  constructor(private readonly wholeBatches = STRINGIFY_WHOLE_BATCHES) {}

  encode(rows: readonly unknown[]): Buffer {
    if (!this.wholeBatches) return joinedJsonl(rows);
    if (!this.whole || rows.length < 2 || !rows.every(isPlainObject)) return jsonlBytes(rows);
    let text: string;
    try {
      text = JSON.stringify(rows);
    } catch {
      return jsonlBytes(rows); // a BigInt: the line encoder writes it as a string
    }
    const buf = Buffer.allocUnsafe(text.length * 3);
    const out = buf.subarray(1, buf.write(text, 0, "utf8")); // without the opening "["
    let separators = 0;
    for (let i = out.indexOf(SEPARATOR); i >= 0; i = out.indexOf(SEPARATOR, i + 3)) separators++;
    if (separators !== rows.length - 1) {
      this.whole = false;
      return jsonlBytes(rows);
    }
    for (let i = out.indexOf(SEPARATOR); i >= 0; i = out.indexOf(SEPARATOR, i + 3))
      out[i + 1] = 0x0a;
    out[out.length - 1] = 0x0a; // the closing "]"
    return out;
  }
}

const SEPARATOR = Buffer.from("},{");

function isPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== "function"
  );
}

/**
 * Append rows to a JSONL file in one write. The caller guarantees the file ends at a line boundary
 * (see `cutPartialLine`).
 *
 * @example
 * await appendJsonl("out/data.jsonl", [{ q: "Why?" }]);
 */
export async function appendJsonl(
  file: string,
  rows: readonly unknown[],
  encoder = new JsonlEncoder(),
): Promise<void> {
  if (rows.length === 0) return;
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, encoder.encode(rows));
}

/**
 * Replace a JSONL file with `rows`, streamed to a temporary file that is renamed over it.
 *
 * @example
 * await replaceJsonl("out/final_data.jsonl", rows);
 */
export async function replaceJsonl(
  file: string,
  rows: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<void> {
  await writeAtomic(file, async (h) => {
    const sink = new TextSink(h);
    for await (const r of rows) await sink.push(`${toJson(r)}\n`);
    await sink.flush();
  });
}

/**
 * Copy records `from` to `from + count` (exclusive) of a JSONL file that digit wrote, byte for
 * byte, to `write`: what reading them and writing them again gives, without decoding, parsing or
 * encoding. Only lines exactly as `JSON.stringify` writes them can be copied so; a blank line, one
 * that starts with white space or ends with a carriage return, or fewer complete records than
 * asked, stops the copy and returns false (the caller then encodes the records).
 *
 * @example
 * const ok = await copyJsonlRecords("out/data.jsonl", 0, 100, (b) => handle.write(b));
 */
export async function copyJsonlRecords(
  file: string,
  from: number,
  count: number,
  write: (bytes: Buffer) => Promise<unknown>,
): Promise<boolean> {
  if (count <= 0) return true;
  const end = from + count;
  let record = 0;
  /** The start of a line that continues into the next chunk. */
  let carry: Buffer | undefined;
  /** Whether a line (without its newline) is as `JSON.stringify` writes a value. */
  const canonical = (line: Buffer, start: number, nl: number): boolean =>
    nl > start && line[start]! > 32 && line[nl - 1] !== 0x0d;
  let first = true;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
    const bytes = chunk as Buffer;
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return false;
    first = false;
    let start = 0;
    let nl = bytes.indexOf(0x0a);
    if (carry) {
      if (nl < 0) {
        carry = Buffer.concat([carry, bytes]);
        continue;
      }
      const line = Buffer.concat([carry, bytes.subarray(0, nl + 1)]);
      carry = undefined;
      if (!canonical(line, 0, line.length - 1)) return false;
      if (record++ >= from) await write(line);
      if (record === end) return true;
      start = nl + 1;
      nl = bytes.indexOf(0x0a, start);
    }
    let copyFrom = -1;
    for (; nl >= 0; nl = bytes.indexOf(0x0a, start)) {
      if (!canonical(bytes, start, nl)) return false;
      if (record >= from && copyFrom < 0) copyFrom = start;
      record++;
      start = nl + 1;
      if (record === end) break;
    }
    if (copyFrom >= 0) await write(bytes.subarray(copyFrom, start));
    if (record === end) return true;
    if (start < bytes.length) carry = bytes.subarray(start);
  }
  return false;
}

/**
 * Keep the first `count` complete records of a JSONL file (blank lines are not records); anything
 * after them, including an unterminated last line, is cut.
 *
 * @example
 * await truncateJsonl("out/data.jsonl", 100);
 */
export async function truncateJsonl(file: string, count: number): Promise<void> {
  await truncateFile(file, await jsonlRecordsEnd(file, count));
}

/**
 * The byte offset just after the first `count` complete records of a JSONL file (blank lines are
 * not records): what `truncateJsonl` keeps. Past the end of a shorter file, the offset after its
 * last newline.
 *
 * @example
 * const keep = await jsonlRecordsEnd("out/data.jsonl", 100);
 */
export async function jsonlRecordsEnd(file: string, count: number): Promise<number> {
  if (count <= 0) return 0;
  let kept = 0;
  let lineStart = 0;
  let blank = true;
  let pos = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b !== 0x0a) {
        if (b > 32) blank = false;
        continue;
      }
      if (!blank) kept++;
      blank = true;
      lineStart = pos + i + 1;
      if (kept === count) return lineStart;
    }
    pos += buf.length;
  }
  return lineStart;
}

/**
 * If the file does not end with a newline, cut it back to just after its last newline (the
 * unterminated tail is an append that a crash interrupted). Returns the bytes removed.
 *
 * @example
 * const cut = await cutPartialLine("out/data.jsonl");
 */
export async function cutPartialLine(file: string): Promise<number> {
  let h: FileHandle;
  try {
    h = await open(file, "r");
  } catch {
    return 0;
  }
  let cutAt: number | undefined;
  let size = 0;
  try {
    size = (await h.stat()).size;
    if (size === 0) return 0;
    const last = Buffer.alloc(1);
    await h.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return 0;
    // Walk back in windows until a newline is found (or the start of the file).
    let end = size;
    cutAt = 0;
    while (end > 0) {
      const len = Math.min(end, CHUNK);
      const buf = Buffer.alloc(len);
      await h.read(buf, 0, len, end - len);
      const nl = buf.lastIndexOf(0x0a);
      if (nl >= 0) {
        cutAt = end - len + nl + 1;
        break;
      }
      end -= len;
    }
  } finally {
    await h.close();
  }
  await truncateFile(file, cutAt);
  return size - cutAt;
}
