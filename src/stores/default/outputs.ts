/**
 * The output file of a `default` datastore, one implementation per `output_data_format`.
 * Every target: `append` is durable once resolved (the bytes are with the OS, so the rows survive
 * the process being killed); `replace` is atomic; `truncate(n)` keeps the first n rows; an
 * incomplete tail left by a crash is never read back as a row.
 */
import { existsSync } from "node:fs";
import { type FileHandle, mkdir, open, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Row } from "../../util/mapping.js";
import { writeAtomic } from "../formats/atomic.js";
import type { CsvFile } from "../formats/csv.js";
import type { OutputFormat } from "../formats/index.js";
import { readJsonFile, writeJsonFile } from "../formats/json.js";
import {
  copyJsonlRecords,
  cutPartialLine,
  JsonlEncoder,
  readJsonlBatches,
  replaceJsonl,
  truncateJsonl,
} from "../formats/jsonl.js";
import type { ParquetParts } from "../formats/parquet/parts.js";
import { type BadRecordPolicy, flatten } from "../formats/types.js";

/** What the datastore needs from its output file. */
export interface OutputTarget {
  readonly path: string;
  exists(): Promise<boolean>;
  rows(skip: number): AsyncIterable<unknown>;
  /** The same rows in batches, where the format reads them so. */
  batches?(skip: number): AsyncIterable<readonly unknown[]>;
  append(rows: readonly Row[]): Promise<void>;
  replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void>;
  truncate(count: number): Promise<void>;
  clear(): Promise<void>;
  /**
   * True while the target appends through a file it already opened (after its location was
   * checked): appends need no new check until `replace`, `truncate`, `clear` or `close`.
   */
  readonly appending?: boolean;
  /** Release an open file. */
  close?(): Promise<void>;
  /** JSONL targets: append rows already encoded as whole JSONL lines. */
  appendBytes?(jsonl: Uint8Array): Promise<void>;
  /**
   * JSONL targets: replace the content with records `from` to `from + count` of a JSONL file
   * digit wrote, copied byte for byte (see `copyJsonlRecords`); false (nothing changed) when its
   * lines cannot be copied exactly.
   */
  replaceWithRecordsOf?(file: string, from: number, count: number): Promise<boolean>;
}

/** Options every target gets. */
export interface TargetOptions {
  warn: (message: string) => void;
  onBadRecord: BadRecordPolicy;
  batchSize?: number | undefined;
}

/**
 * The target for a format.
 *
 * @example
 * const out = outputTarget("jsonl", "out/qa/data.jsonl", { warn: console.warn, onBadRecord: "error" });
 */
export function outputTarget(
  format: OutputFormat,
  path: string,
  options: TargetOptions,
): OutputTarget {
  switch (format) {
    case "jsonl":
      return new JsonlTarget(path, options);
    case "csv":
      return new CsvTarget(path, options);
    case "json":
      return new JsonTarget(path);
    case "parquet":
      return new ParquetTarget(path, options);
  }
}

/**
 * A JSONL file. Appends go through one file handle opened in append mode on the first append and
 * kept until the file is replaced, truncated, cleared or the store closed: no folder creation, open
 * or close per batch. Each append is one write of whole lines, handed to the OS before it resolves.
 */
class JsonlTarget implements OutputTarget {
  /** The file is known to end at a line boundary (checked once, then kept by our own writes). */
  private clean = false;
  private readonly encoder = new JsonlEncoder();
  private handle: FileHandle | undefined;
  constructor(
    readonly path: string,
    private readonly options: TargetOptions,
  ) {}
  async exists(): Promise<boolean> {
    return existsSync(this.path);
  }
  rows(skip: number): AsyncIterable<unknown> {
    return flatten(this.batches(skip));
  }
  batches(skip: number): AsyncIterable<unknown[]> {
    return readJsonlBatches(this.path, {
      skip,
      ownOutput: true,
      warn: this.options.warn,
      onBadRecord: this.options.onBadRecord,
    });
  }
  async append(rows: readonly Row[]): Promise<void> {
    if (rows.length) await this.appendBytes(this.encoder.encode(rows));
  }
  async appendBytes(jsonl: Uint8Array): Promise<void> {
    if (jsonl.length === 0) return;
    if (!this.clean) {
      const cut = await cutPartialLine(this.path);
      if (cut > 0)
        this.options.warn(
          `${this.path}: cut an incomplete last line (${cut} bytes) left by an interrupted write`,
        );
    }
    this.clean = false;
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, "a");
    }
    await this.handle.appendFile(jsonl);
    this.clean = true;
  }
  get appending(): boolean {
    return this.handle !== undefined;
  }
  async replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    await this.close();
    await replaceJsonl(this.path, rows);
    this.clean = true;
  }
  async replaceWithRecordsOf(file: string, from: number, count: number): Promise<boolean> {
    await this.close();
    const copied = await writeAtomic(this.path, async (h) => {
      if (!(await copyJsonlRecords(file, from, count, (b) => h.write(b)))) throw NOT_COPIED;
    }).then(
      () => true,
      (e: unknown) => {
        if (e === NOT_COPIED) return false;
        throw e;
      },
    );
    if (copied) this.clean = true;
    return copied;
  }
  async truncate(count: number): Promise<void> {
    await this.close();
    if (!existsSync(this.path)) return;
    await truncateJsonl(this.path, count);
    this.clean = true;
  }
  async clear(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
    this.clean = true;
  }
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }
}

/** Thrown inside an atomic write to abandon it (the old content stays). */
const NOT_COPIED: unique symbol = Symbol("not copied");

/** A CSV file; the CSV packages load on first use. */
class CsvTarget implements OutputTarget {
  private file: Promise<CsvFile> | undefined;
  constructor(
    readonly path: string,
    private readonly options: TargetOptions,
  ) {}
  private csv(): Promise<CsvFile> {
    this.file ??= import("../formats/csv.js").then(
      ({ CsvFile }) => new CsvFile(this.path, this.options.warn),
    );
    return this.file;
  }
  async exists(): Promise<boolean> {
    return existsSync(this.path);
  }
  async *rows(skip: number): AsyncIterable<unknown> {
    yield* (await this.csv()).rows(skip);
  }
  async append(rows: readonly Row[]): Promise<void> {
    return (await this.csv()).append(rows);
  }
  async replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    return (await this.csv()).replace(rows);
  }
  async truncate(count: number): Promise<void> {
    return (await this.csv()).truncate(count);
  }
  async clear(): Promise<void> {
    return (await this.csv()).clear();
  }
}

/** A JSON array, rewritten whole (atomically) on every change: for small outputs. */
class JsonTarget implements OutputTarget {
  constructor(readonly path: string) {}
  async exists(): Promise<boolean> {
    return existsSync(this.path);
  }
  async *rows(skip: number): AsyncIterable<unknown> {
    if (!existsSync(this.path)) return;
    yield* (await readJsonFile(this.path)).slice(skip);
  }
  private async current(): Promise<unknown[]> {
    return existsSync(this.path) ? readJsonFile(this.path) : [];
  }
  async append(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    await writeJsonFile(this.path, [...(await this.current()), ...rows]);
  }
  replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    return writeJsonFile(this.path, rows);
  }
  async truncate(count: number): Promise<void> {
    if (!existsSync(this.path)) return;
    const rows = await this.current();
    if (rows.length > count) await writeJsonFile(this.path, rows.slice(0, count));
  }
  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/** A folder of Parquet part files (see formats/parquet/parts.ts); Parquet loads on first use. */
class ParquetTarget implements OutputTarget {
  private parts: ParquetParts | undefined;
  constructor(
    readonly path: string,
    private readonly options: TargetOptions,
  ) {}
  private async store(): Promise<ParquetParts> {
    if (!this.parts) {
      const { ParquetParts } = await import("../formats/parquet/parts.js");
      this.parts = new ParquetParts(this.path);
    }
    return this.parts;
  }
  async exists(): Promise<boolean> {
    return existsSync(this.path) || existsSync(`${this.path}.replacing`);
  }
  rows(skip: number): AsyncIterable<unknown> {
    return flatten(this.batches(skip));
  }
  async *batches(skip: number): AsyncGenerator<unknown[]> {
    if (!(await this.exists())) return;
    const s = await this.store();
    if (
      !(await stat(s.readDir()).then(
        (st) => st.isDirectory(),
        () => false,
      ))
    )
      return;
    const { readParquetFolderBatches } = await import("../formats/parquet/parts.js");
    yield* readParquetFolderBatches(s.readDir(), skip, this.options.batchSize);
  }
  async append(rows: readonly Row[]): Promise<void> {
    if (rows.length) await (await this.store()).append(rows);
  }
  async replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    await (await this.store()).replace(rows);
  }
  async truncate(count: number): Promise<void> {
    if (await this.exists()) await (await this.store()).truncate(count);
  }
  async clear(): Promise<void> {
    if (await this.exists()) await (await this.store()).clear();
  }
}
