/**
 * Single Parquet files: write rows (streamed, one schema per file), count and stream rows back.
 * Uses parquet-wasm for the Parquet encoding and Arrow IPC to hand columns across; reading
 * decodes in a worker thread (`reader.ts`), because a corrupt file can make the decoder trap.
 */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Writable } from "node:stream";
import { Table as ArrowTable, type RecordBatch, tableFromIPC, tableToIPC } from "apache-arrow";
import * as pw from "parquet-wasm";
import { flatten } from "../types.js";
import { batchToRows, type ColumnKind, fitsKind, inferColumns, rowsToBatch } from "./columns.js";
import { countParquetRows, streamParquetIpc } from "./reader.js";

type Row = Record<string, unknown>;

/** Rows per Arrow batch and Parquet row group while writing. */
export const WRITE_CHUNK = 50_000;

function writerProps(): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.ZSTD)
    .setMaxRowGroupSize(WRITE_CHUNK)
    .build();
}

function toWasm(batch: RecordBatch): pw.RecordBatch[] {
  return pw.Table.fromIPCStream(tableToIPC(new ArrowTable([batch]), "stream")).recordBatches();
}

/**
 * Encode rows held in memory as one Parquet file (column types inferred from all of them).
 *
 * @example
 * await writeFile("part.parquet", encodeParquet([{ n: 1, tags: ["a"] }]));
 */
export function encodeParquet(rows: readonly Row[]): Uint8Array {
  const kinds = inferColumns(rows);
  const wasm = pw.Table.fromIPCStream(
    tableToIPC(new ArrowTable([rowsToBatch(rows, kinds)]), "stream"),
  );
  return pw.writeParquet(wasm, writerProps());
}

function fits(
  file: ReadonlyMap<string, ColumnKind>,
  chunk: ReadonlyMap<string, ColumnKind>,
): boolean {
  for (const [name, kind] of chunk) {
    const f = file.get(name);
    if (f === undefined || !fitsKind(f, kind)) return false;
  }
  return true;
}

/**
 * Stream rows into Parquet files in constant memory. The column types come from the first chunk
 * of a file; when a later chunk does not fit them (a new field, a changed type), the current file
 * is closed and a new one begins. `nextPath(i)` names file `i`; the result lists each file written
 * with its row count.
 *
 * @example
 * const files = await writeParquetStream(rows, (i) => `out/tmp-${i}.parquet`);
 */
export async function writeParquetStream(
  rows: Iterable<Row> | AsyncIterable<Row>,
  nextPath: (index: number) => string,
): Promise<{ path: string; rows: number }[]> {
  const it = chunks(rows, WRITE_CHUNK)[Symbol.asyncIterator]();
  const written: { path: string; rows: number }[] = [];
  const head = await it.next();
  let carry: Row[] | undefined = head.done ? undefined : head.value;
  while (carry) {
    const kinds = inferColumns(carry);
    let first: Row[] | undefined = carry;
    carry = undefined;
    let count = 0;
    const source = new ReadableStream<pw.RecordBatch>({
      pull: async (controller) => {
        let chunk = first;
        first = undefined;
        if (!chunk) {
          const next = await it.next();
          if (next.done) return controller.close();
          if (!fits(kinds, inferColumns(next.value))) {
            carry = next.value;
            return controller.close();
          }
          chunk = next.value;
        }
        count += chunk.length;
        for (const b of toWasm(rowsToBatch(chunk, kinds))) controller.enqueue(b);
      },
    });
    const path = nextPath(written.length);
    try {
      const out = await pw.transformParquetStream(source as ReadableStream, writerProps());
      await out.pipeTo(Writable.toWeb(createWriteStream(path)) as WritableStream);
    } catch (e) {
      await rm(path, { force: true });
      throw e;
    }
    written.push({ path, rows: count });
  }
  return written;
}

async function* chunks(
  rows: Iterable<Row> | AsyncIterable<Row>,
  size: number,
): AsyncGenerator<Row[]> {
  let chunk: Row[] = [];
  for await (const r of rows) {
    chunk.push(r);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/**
 * Rows in a Parquet file (from its footer).
 *
 * @example
 * const n = await parquetRowCount("data.parquet");
 */
export function parquetRowCount(path: string): Promise<number> {
  return countParquetRows(path);
}

/**
 * Stream the rows of a Parquet file from `skip` on, `batchSize` rows at a time.
 *
 * @example
 * for await (const row of readParquetFile("data.parquet", { skip: 10 })) console.log(row);
 */
export function readParquetFile(
  path: string,
  options: ParquetReadOptions = {},
): AsyncIterableIterator<Row> {
  return flatten(readParquetBatches(path, options));
}

/** Options of `readParquetFile`. */
export interface ParquetReadOptions {
  skip?: number | undefined;
  limit?: number | undefined;
  batchSize?: number | undefined;
}

/**
 * The rows of a Parquet file, a record batch at a time. Decoding runs in a worker thread (see
 * `reader.ts`): a corrupt file is a DataFileError naming it, never a crash.
 */
export async function* readParquetBatches(
  path: string,
  options: ParquetReadOptions = {},
): AsyncGenerator<Row[]> {
  const stream = streamParquetIpc(path, {
    skip: options.skip ?? 0,
    limit: options.limit,
    batchSize: options.batchSize ?? 10_000,
  });
  for await (const ipc of stream) {
    for (const batch of tableFromIPC(ipc).batches) yield batchToRows(batch);
  }
}
