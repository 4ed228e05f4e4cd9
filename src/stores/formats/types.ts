/** How to treat a record that does not parse (a bad JSON line). */
export type BadRecordPolicy = "error" | "skip";

/** CSV reading options, with DiGiT's names. */
export interface CsvReadOptions {
  /** First row is a header: rows become records keyed by it. Default false: rows are lists of strings. */
  has_header?: boolean | undefined;
  delimiter?: string | undefined;
  quotechar?: string | undefined;
  /** Ignore whitespace after a delimiter (so `1, "x"` reads `x`). */
  skipinitialspace?: boolean | undefined;
}

/**
 * Options shared by the format readers.
 *
 * @example
 * const opts: ReadOptions = { skip: 10, onBadRecord: "skip", warn: (m) => console.warn(m) };
 */
export interface ReadOptions {
  /** Rows to skip from the start (resume). */
  skip?: number | undefined;
  onBadRecord?: BadRecordPolicy | undefined;
  /** Where warnings go (a dropped partial line, skipped bad records). */
  warn?: ((message: string) => void) | undefined;
  /**
   * The file is a store's own output, written by digit: a last line without its newline is the
   * trace of an interrupted append and is dropped; CSV cells are decoded back to JSON values.
   */
  ownOutput?: boolean | undefined;
  csv?: CsvReadOptions | undefined;
  /** Parquet rows per batch. */
  batchSize?: number | undefined;
  /** The longest JSONL line or input CSV record accepted, in bytes (default `MAX_RECORD_BYTES`). */
  maxRecordBytes?: number | undefined;
}

/**
 * The longest record digit reads from a JSONL line or an input CSV file, in bytes (64 MiB). A
 * longer one is refused as soon as the reader has seen that much of it, so a huge or endless
 * record never has to be held in memory.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * The largest data file read whole into memory — `.json`, `.yaml`, `.yml`, `.txt`, `.md` — in
 * bytes (256 MiB). Larger ones are refused before reading; JSONL, CSV and Parquet stream.
 */
export const MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024;

/**
 * A size in words: "64 MiB", "512 KiB", "300.5 MiB", "100 bytes".
 *
 * @example
 * describeBytes(64 * 1024 * 1024) // "64 MiB"
 */
export function describeBytes(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n / (1 << 10)} KiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/** Serialise a value as JSON; BigInt values (never produced by JSON parsing) become decimal strings. */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
}

/**
 * Rows one at a time from a stream of batches. Readers work a batch at a time and this hands the
 * rows out without a generator per row (nested async generators cost several microtask hops for
 * every row, which dominates reading a million small records).
 *
 * @example
 * for await (const row of flatten(batchesOf(file))) count++;
 */
export function flatten<T>(batches: AsyncIterable<readonly T[]>): AsyncIterableIterator<T> {
  const it = batches[Symbol.asyncIterator]();
  let buf: readonly T[] = [];
  let i = 0;
  const self: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (i >= buf.length) {
        const r = await it.next();
        if (r.done) return { done: true, value: undefined };
        buf = r.value;
        i = 0;
      }
      return { done: false, value: buf[i++]! };
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      await it.return?.(value);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return self;
    },
  };
  return self;
}
