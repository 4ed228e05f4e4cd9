/**
 * A Parquet store as a folder of part files, so that appends are durable and truncation exact
 * although a Parquet file cannot be appended to:
 *
 *     <store_name>.parquet/part-000000000000-000000000100.parquet   rows [0, 100)
 *     <store_name>.parquet/part-000000000100-000000000164.parquet   rows [100, 164)
 *
 * Each name carries the rows it holds, so counting needs no reading. Every part is written to a
 * temporary name and renamed into place, so a crash never leaves a partial part. Small parts are
 * merged as they accumulate (8 parts of a similar size into one, up to `MERGE_LIMIT` rows): the
 * merged part is written first and the small ones deleted after, and a part whose range lies
 * inside another's is stale and ignored (and deleted by the next writer). `replace` builds a new
 * folder beside the old one and swaps them, with a recovery step for a crash in between.
 *
 * Tools that read Parquet folders (pandas, pyarrow, Spark, DuckDB `*.parquet` globs) read it as
 * one dataset.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { DataFileError } from "../../../errors.js";
import { checkDataFile } from "../file-kind.js";
import { flatten } from "../types.js";
import {
  encodeParquet,
  parquetRowCount,
  readParquetBatches,
  readParquetFile,
  writeParquetStream,
} from "./file.js";

type Row = Record<string, unknown>;

/** One part of a store folder. */
export interface Part {
  file: string;
  start: number;
  end: number;
}

const PART = /^part-(\d{12})-(\d{12})\.parquet$/;
const FANOUT = 8;
/** Merging stops at parts of this many rows: bigger ones are cheap enough to read as they are. */
export const MERGE_LIMIT = 65_536;

function pad(n: number): string {
  return String(n).padStart(12, "0");
}

/**
 * The file name of a part holding rows [start, end).
 *
 * @example
 * partName(0, 100) // "part-000000000000-000000000100.parquet"
 */
export function partName(start: number, end: number): string {
  return `part-${pad(start)}-${pad(end)}.parquet`;
}

/** Live parts in row order, and stale files (covered parts, temporary files) a writer may delete. */
export async function listParts(dir: string): Promise<{ live: Part[]; stale: string[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { live: [], stale: [] };
    throw new DataFileError(`cannot read Parquet store folder: ${(e as Error).message}`, {
      file: dir,
    });
  }
  const parts: Part[] = [];
  const stale: string[] = [];
  for (const name of names) {
    const m = PART.exec(name);
    if (m) parts.push({ file: join(dir, name), start: Number(m[1]), end: Number(m[2]) });
    else if (name.includes(".tmp-")) stale.push(join(dir, name));
  }
  parts.sort((a, b) => a.start - b.start || b.end - a.end);
  const live: Part[] = [];
  let end = 0;
  for (const p of parts) {
    if (p.end <= end && p.start >= (live.at(-1)?.start ?? 0) && live.length) {
      stale.push(p.file); // inside a kept part: left by a merge or truncation that was interrupted
      continue;
    }
    if (p.start !== end) {
      throw new DataFileError(
        `Parquet store folder is inconsistent: part ${basename(p.file)} starts at row ${p.start}, expected ${end}`,
        {
          file: dir,
          hint: "a file was removed or copied in by hand; restore it, or run with --restart",
        },
      );
    }
    live.push(p);
    end = p.end;
  }
  return { live, stale };
}

/**
 * Read a Parquet folder: our part layout, or any folder of `*.parquet` files (read in name order).
 * Yields rows from `skip` on.
 *
 * @example
 * for await (const row of readParquetFolder("out/qa/data.parquet")) console.log(row);
 */
export function readParquetFolder(
  dir: string,
  skip = 0,
  batchSize?: number,
): AsyncIterableIterator<Row> {
  return flatten(readParquetFolderBatches(dir, skip, batchSize));
}

/** The rows of a Parquet folder, a record batch at a time. */
export async function* readParquetFolderBatches(
  dir: string,
  skip: number,
  batchSize: number | undefined,
): AsyncGenerator<Row[]> {
  const { live } = await listParts(dir);
  let files: { file: string; rows?: number }[] = live.map((p) => ({
    file: p.file,
    rows: p.end - p.start,
  }));
  if (live.length === 0) {
    const names = (await readdir(dir))
      .filter((n) => n.endsWith(".parquet") && !n.includes(".tmp-"))
      .sort();
    files = names.map((n) => ({ file: join(dir, n) }));
  }
  for (const f of files) {
    await checkDataFile(f.file); // a FIFO named *.parquet would block the decoder for ever
    const rows = f.rows ?? (await parquetRowCount(f.file));
    if (skip >= rows) {
      skip -= rows;
      continue;
    }
    yield* readParquetBatches(f.file, { skip, batchSize });
    skip = 0;
  }
}

/**
 * The writer side of a part folder (one writer per folder at a time: the run lock ensures it).
 *
 * @example
 * const store = new ParquetParts("out/qa/data.parquet");
 * await store.append([{ q: "Why?" }]);
 * await store.truncate(0);
 */
export class ParquetParts {
  private recovered = false;

  constructor(readonly dir: string) {}

  private get replacing(): string {
    return `${this.dir}.replacing`;
  }
  private get old(): string {
    return `${this.dir}.old`;
  }

  /** Finish or undo a `replace` that a crash interrupted, and delete stale files. */
  private async recover(): Promise<Part[]> {
    if (!this.recovered) {
      if (existsSync(this.old)) {
        // The new folder was complete before the old one was moved away: finish the swap.
        if (!existsSync(this.dir) && existsSync(this.replacing))
          await rename(this.replacing, this.dir);
        await rm(this.old, { recursive: true, force: true });
      }
      await rm(this.replacing, { recursive: true, force: true });
      this.recovered = true;
    }
    const { live, stale } = await listParts(this.dir);
    for (const f of stale) await rm(f, { force: true });
    return live;
  }

  /** Where readers should look (mid-swap after a crash, the new folder). */
  readDir(): string {
    if (!existsSync(this.dir) && existsSync(this.old) && existsSync(this.replacing))
      return this.replacing;
    return this.dir;
  }

  async exists(): Promise<boolean> {
    return existsSync(this.readDir());
  }

  async count(): Promise<number> {
    const { live } = await listParts(this.readDir());
    return live.at(-1)?.end ?? 0;
  }

  rows(skip = 0, batchSize?: number): AsyncIterableIterator<Row> {
    return readParquetFolder(this.readDir(), skip, batchSize);
  }

  async append(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const live = await this.recover();
    const start = live.at(-1)?.end ?? 0;
    await mkdir(this.dir, { recursive: true });
    const part = {
      file: join(this.dir, partName(start, start + rows.length)),
      start,
      end: start + rows.length,
    };
    await this.writePart(part.file, rows);
    live.push(part);
    await this.merge(live);
  }

  async replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    await this.recover();
    const next = this.replacing;
    await rm(next, { recursive: true, force: true });
    await mkdir(next, { recursive: true });
    const written = await writeParquetStream(rows, (i) => join(next, `.tmp-${process.pid}-${i}`));
    let start = 0;
    for (const w of written) {
      await rename(w.path, join(next, partName(start, start + w.rows)));
      start += w.rows;
    }
    // Swap: old → .old, new → dir, drop .old. `recover` completes this after a crash.
    if (existsSync(this.dir)) await rename(this.dir, this.old);
    await rename(next, this.dir);
    await rm(this.old, { recursive: true, force: true });
  }

  async truncate(count: number): Promise<void> {
    const live = await this.recover();
    // Delete from the end so that a crash leaves a contiguous prefix.
    for (const p of [...live].reverse()) {
      if (p.start >= count) await rm(p.file, { force: true });
      else if (p.end > count) {
        const keep: Row[] = [];
        for await (const r of readParquetFile(p.file, { limit: count - p.start })) keep.push(r);
        await this.writePart(join(this.dir, partName(p.start, count)), keep);
        await rm(p.file, { force: true });
      }
    }
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await rm(this.replacing, { recursive: true, force: true });
    await rm(this.old, { recursive: true, force: true });
  }

  private async writePart(file: string, rows: readonly Row[]): Promise<void> {
    const tmp = join(this.dir, `.tmp-${process.pid}-${basename(file)}`);
    await writeFile(tmp, encodeParquet(rows));
    await rename(tmp, file);
  }

  /** Merge trailing runs of FANOUT similar-sized parts, cascading (an LSM-style size tiering). */
  private async merge(live: Part[]): Promise<void> {
    const tier = (p: Part) => Math.floor(Math.log(p.end - p.start) / Math.log(FANOUT));
    for (;;) {
      const last = live.at(-1);
      if (!last) return;
      const t = tier(last);
      let i = live.length - 1;
      while (i > 0 && tier(live[i - 1]!) === t) i--;
      const run = live.slice(i);
      const total = last.end - run[0]!.start;
      if (run.length < FANOUT || total > MERGE_LIMIT) return;
      const rows: Row[] = [];
      for (const p of run) for await (const r of readParquetFile(p.file)) rows.push(r);
      const merged = {
        file: join(this.dir, partName(run[0]!.start, last.end)),
        start: run[0]!.start,
        end: last.end,
      };
      await this.writePart(merged.file, rows);
      for (const p of run) await rm(p.file, { force: true });
      live.splice(i, run.length, merged);
    }
  }
}
