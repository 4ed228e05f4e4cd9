import { join } from "node:path";
import { z } from "zod";
import { parseWith } from "../../config/zod-errors.js";
import { ConfigError, DataFileError } from "../../errors.js";
import { registerDatastore } from "../../registry/decorators.js";
import type { Logger } from "../../telemetry/logger.js";
import type { Row } from "../../util/mapping.js";
import { assertInsideOutput } from "../../util/output-containment.js";
import { checkOwnFolder } from "../../util/output-names.js";
import { defaultStoreLogger, type StoreContext } from "../context.js";
import {
  Datastore,
  type DatastoreConfig,
  datastoreConfigShape,
  type RowSource,
} from "../datastore.js";
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  outputFormatOf,
  readDataBatches,
  readDataFile,
} from "../formats/index.js";
import type { ReadOptions } from "../formats/types.js";
import { type OutputTarget, outputTarget } from "./outputs.js";
import { expandDataPath } from "./paths.js";

/**
 * The keys of a `default` datastore. `output_data_format` is normalised first (a leading dot and
 * case are ignored; a list or an unknown format is an error that says how to write it).
 */
const defaultDatastoreSchema = z.object({
  ...datastoreConfigShape,
  data: z
    .array(z.unknown())
    .nullish()
    .describe("Inline records, read before the files of data_path"),
  data_path: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe(
      "File, folder or glob (or a list of them) to read, in sorted order; without it the store reads its own output",
    ),
  data_formats: z
    .array(z.string())
    .optional()
    .describe("Keep only files whose names end so, among folder and glob matches (e.g. [.jsonl])"),
  output_data_format: z
    .preprocess(
      (v) => (v === null || v === undefined ? undefined : outputFormatOf(v)),
      z.enum(OUTPUT_FORMATS).default("jsonl"),
    )
    .describe("Format the store writes (parquet: a folder of part files)"),
  on_bad_record: z
    .enum(["error", "skip"])
    .nullish()
    .transform((v) => v ?? "error")
    .describe("A bad JSONL line stops the read with an error, or is skipped and counted"),
  has_header: z
    .boolean()
    .default(false)
    .describe("CSV: the first line names the columns (else every row is a list of strings)"),
  delimiter: z.string().default(",").describe("CSV: the field delimiter"),
  quotechar: z.string().default('"').describe("CSV: the quote character"),
  skipinitialspace: z.boolean().default(false).describe("CSV: ignore spaces after a delimiter"),
  buffer_size: z.number().int().positive().default(10_000).describe("Parquet: rows per read batch"),
});

/**
 * A parsed `default` datastore config.
 *
 * @example
 * new DefaultDatastore({ type: "default", store_name: "qa/data" }).settings.output_data_format // "jsonl"
 */
export type DefaultDatastoreConfig = z.output<typeof defaultDatastoreSchema>;

/**
 * Local files. Reads the inline `data` first, then every file `data_path` names (a file, a folder,
 * a glob or a list of them, in sorted order; `.jsonl .json .yaml .yml .csv .parquet .txt .md`),
 * or — without `data_path` — its own output. Writes `<output_dir>/<store_name>.<format>` with
 * `output_data_format` `jsonl` (default), `parquet` (a folder of part files), `csv` or `json`.
 *
 * `output_dir` may be absolute; a relative one must not climb out of the working directory, and
 * nothing is written through a link that leads out of `output_dir`.
 *
 * Other keys: `on_bad_record: error | skip` (bad JSONL lines), CSV reading options `has_header`,
 * `delimiter`, `quotechar`, `skipinitialspace`, and `buffer_size` (Parquet rows per read batch).
 *
 * @example
 * datastore:
 *   type: default
 *   output_data_format: parquet
 */
@registerDatastore("default")
export class DefaultDatastore extends Datastore {
  static override configSchema: z.ZodObject = defaultDatastoreSchema;
  /** The parsed config: every key typed, defaults applied. */
  readonly settings: DefaultDatastoreConfig;
  readonly format: OutputFormat;
  private readonly target: OutputTarget | undefined;
  private logger: Logger = defaultStoreLogger;
  private readonly readOptions: ReadOptions;
  /** Writes run one after another, so that concurrent callers cannot interleave a file. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(config: DatastoreConfig) {
    super(config);
    if (config.data !== undefined && config.data !== null && !Array.isArray(config.data)) {
      throw new ConfigError(`datastore '${config.store_name}': data must be a list of records`, {
        hint: "write data as a YAML list, or use data_path for a file",
      });
    }
    const settings = parseWith(defaultDatastoreSchema, config, `datastore '${config.store_name}'`);
    this.settings = settings;
    this.format = settings.output_data_format;
    const {
      on_bad_record: onBadRecord,
      has_header,
      delimiter,
      quotechar,
      skipinitialspace,
      buffer_size: batchSize,
    } = settings;
    if (settings.output_dir !== undefined)
      checkOwnFolder(settings.output_dir, `datastore '${config.store_name}': output_dir`);
    const warn = (m: string) => this.logger.warn(m, { store: config.store_name });
    this.readOptions = {
      onBadRecord,
      warn,
      csv: { has_header, delimiter, quotechar, skipinitialspace },
      batchSize,
    };
    this.target = settings.output_dir
      ? outputTarget(
          this.format,
          join(settings.output_dir, `${config.store_name}.${this.format}`),
          { warn, onBadRecord, batchSize },
        )
      : undefined;
  }

  /** Receive the logger from `createDatastore`. */
  prepare(context: StoreContext): void {
    if (context.logger) this.logger = context.logger;
  }

  get location(): string {
    if (this.target) return this.target.path;
    const p = this.settings.data_path;
    return p === undefined ? "inline data" : Array.isArray(p) ? p.join(", ") : p;
  }

  async exists(): Promise<boolean> {
    return (await this.target?.exists()) ?? false;
  }

  async sources(): Promise<RowSource[]> {
    const sources: RowSource[] = [];
    const inline = this.settings.data;
    if (Array.isArray(inline) && inline.length) {
      // Copies: blocks enrich rows in place, and inline seeds are read again on every pass.
      sources.push({
        label: `inline data of '${this.config.store_name}'`,
        rows: (skip = 0) => copies(inline, skip),
      });
    }
    const paths = this.settings.data_path;
    if (paths !== undefined && paths !== null) {
      for (const p of Array.isArray(paths) ? paths : [paths]) {
        for (const file of await expandDataPath(p, this.settings.data_formats)) {
          sources.push({
            label: file,
            rows: (skip = 0) => readDataFile(file, { ...this.readOptions, skip }),
            batches: (skip = 0) => readDataBatches(file, { ...this.readOptions, skip }),
          });
        }
      }
    } else if (this.target && (await this.target.exists())) {
      const target = this.target;
      const batches = target.batches?.bind(target);
      sources.push({
        label: target.path,
        rows: (skip = 0) => target.rows(skip),
        ...(batches ? { batches: (skip = 0) => batches(skip) } : {}),
      });
    }
    return sources;
  }

  append(rows: readonly Row[]): Promise<void> {
    // A target appending through a file it opened after the check needs no new one: the open
    // file cannot be redirected by a link planted since.
    return this.serial(async () =>
      (this.target?.appending ? this.target : await this.writable()).append(rows),
    );
  }

  override appendJsonl(rows: readonly Row[], jsonl: Uint8Array): Promise<void> {
    if (this.format !== "jsonl") return this.append(rows);
    return this.serial(async () => {
      const target = this.target?.appending ? this.target : await this.writable();
      await (target.appendBytes ? target.appendBytes(jsonl) : target.append(rows));
    });
  }

  replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    return this.serial(async () => (await this.writable()).replace(rows));
  }

  /**
   * The JSONL file this store writes, when it reads nothing else (no `data`, no `data_path`):
   * its rows are exactly that file's.
   */
  get ownJsonlFile(): string | undefined {
    if (this.format !== "jsonl" || !this.target) return undefined;
    const inline = this.settings.data;
    if (this.settings.data_path !== undefined || (Array.isArray(inline) && inline.length))
      return undefined;
    return this.target.path;
  }

  /**
   * Replace this JSONL store's output with records `from` to `from + count` of a JSONL file
   * digit wrote, copied byte for byte: the same bytes as reading those records and `replace`-ing
   * with them, at a fraction of the cost. Resolves false, changing nothing, when this store does
   * not write JSONL or the file's lines are not exactly as digit writes them.
   *
   * @example
   * if (!(await final.replaceWithRecordsOf("out/qa/data.jsonl", 0, 100))) await final.replace(rows);
   */
  replaceWithRecordsOf(file: string, from: number, count: number): Promise<boolean> {
    return this.serial(async () => {
      if (this.format !== "jsonl") return false;
      const target = await this.writable();
      return target.replaceWithRecordsOf?.(file, from, count) ?? false;
    });
  }

  truncate(count: number): Promise<void> {
    return this.serial(async () => {
      if (this.target) await (await this.writable()).truncate(count);
    });
  }

  clear(): Promise<void> {
    return this.serial(async () => {
      if (this.target) await (await this.writable()).clear();
    });
  }

  override async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.target?.close?.();
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The output target, once it is known that writing it stays inside `output_dir` (no link out). */
  private async writable(): Promise<OutputTarget> {
    if (!this.target || !this.settings.output_dir) {
      throw new DataFileError(
        `datastore '${this.config.store_name}' has no output_dir, so it cannot be written`,
        {
          hint: "give the datastore an output_dir (task stores get the run's output directory)",
        },
      );
    }
    await assertInsideOutput(this.settings.output_dir, this.target.path);
    return this.target;
  }
}

async function* copies(rows: readonly unknown[], skip: number): AsyncGenerator<unknown> {
  for (let i = skip; i < rows.length; i++) {
    const r = rows[i];
    yield typeof r === "object" && r !== null ? structuredClone(r) : r;
  }
}
