import { z } from "zod";
import type { Row } from "../util/mapping.js";
import { flatten } from "./formats/types.js";

/**
 * Keys the task gives every datastore it opens (DiGiT's names); a datastore type's
 * `configSchema` extends these with its own keys. Shown by `digit describe <datastore>`.
 */
export const datastoreConfigShape = {
  type: z.string().default("default").describe("The datastore type (see `digit list datastores`)"),
  store_name: z
    .string()
    .optional()
    .describe("Path of the store below output_dir, without extension (set by the task)"),
  output_dir: z
    .string()
    .optional()
    .describe("Folder the store writes in (task stores get the run's output folder)"),
  restart: z.boolean().default(false).describe("Clear the store's output when it is opened"),
};

/** A datastore config as written in task YAML (`datastore:`, `seed_datastore:`, `data:`). */
export interface DatastoreConfig {
  type: string;
  /** Path of the store below `output_dir`, without extension: `<task store>/data`. */
  store_name: string;
  output_dir?: string | undefined;
  /** Clear the store's output on construction. */
  restart?: boolean | undefined;
  /** Inline rows, yielded before anything read from `data_path`. */
  data?: unknown[] | undefined;
  data_path?: string | string[] | undefined;
  data_formats?: string[] | undefined;
  output_data_format?: string | undefined;
  [key: string]: unknown;
}

/**
 * One ordered source of rows inside a store (a file, the inline list); the unit of `iter_index`.
 *
 * @example
 * async sources(): Promise<RowSource[]> {
 *   return [{ label: "table rows", rows: (skip = 0) => this.rowsFrom(skip) }];
 * }
 */
export interface RowSource {
  /** A name for messages: a file path, or "inline data". */
  readonly label: string;
  /** Rows from the start, or from `skip` rows in. */
  rows(skip?: number): AsyncIterable<unknown>;
  /**
   * The same rows in batches, where the format reads them so (JSONL, Parquet): callers that
   * take many rows at once skip a promise per row.
   */
  batches?(skip?: number): AsyncIterable<readonly unknown[]>;
}

/**
 * Where rows are read from and written to. Writes are append-only and durable when the returned
 * promise resolves; `replace` swaps the whole content atomically; `truncate` drops rows past a
 * count (used on resume to discard a batch that was never committed).
 *
 * @example
 * const store = await createDatastore(registry, { type: "default", store_name: "qa/data", output_dir: "output" });
 * await store.append([{ question: "Why?" }]);
 * for await (const row of store.read()) console.log(row);
 */
export abstract class Datastore {
  /** The keys this type reads, with types, defaults and descriptions (`digit describe`). */
  static configSchema: z.ZodObject = z.object(datastoreConfigShape);
  readonly config: DatastoreConfig;
  constructor(config: DatastoreConfig) {
    this.config = config;
  }
  /** A human-readable location (file path) for messages. */
  abstract get location(): string;
  /** Whether the store's own output exists. */
  abstract exists(): Promise<boolean>;
  /** The ordered sources rows are read from. */
  abstract sources(): Promise<RowSource[]>;
  /** Append rows; resolved once they are flushed to the OS. */
  abstract append(rows: readonly Row[]): Promise<void>;
  /**
   * Append rows whose JSONL encoding the caller already made (`jsonl`: exactly one line per row,
   * in order, as `JSON.stringify` writes each row). A store that writes JSONL writes these bytes
   * instead of encoding the rows again; any other store appends the rows (the default).
   *
   * @example
   * await store.appendJsonl(rows, Buffer.from(rows.map((r) => `${JSON.stringify(r)}\n`).join("")));
   */
  appendJsonl(rows: readonly Row[], _jsonl: Uint8Array): Promise<void> {
    return this.append(rows);
  }
  /** Replace the whole output with `rows`, atomically (write a temporary file, then rename). */
  abstract replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void>;
  /** Keep the first `count` rows of the output, dropping the rest. */
  abstract truncate(count: number): Promise<void>;
  /** Delete the output (idempotent). */
  abstract clear(): Promise<void>;
  async close(): Promise<void> {}

  /** Every row of every source, in order. */
  read(): AsyncIterable<Row> {
    return flatten(this.readBatches());
  }

  /** Every row of every source, in order, in batches (a source without batches: one by one). */
  private async *readBatches(): AsyncGenerator<readonly Row[]> {
    // Sources yield records their format reader has already checked to be JSON objects.
    for (const source of await this.sources()) {
      if (source.batches) yield* source.batches() as AsyncIterable<readonly Row[]>;
      else for await (const row of source.rows()) yield [row as Row];
    }
  }

  /** All rows as an array. */
  async readAll(): Promise<Row[]> {
    const out: Row[] = [];
    for await (const row of this.read()) out.push(row);
    return out;
  }
}

/** Constructor shape the registry hands out for datastores. */
export type DatastoreClass = (new (
  config: DatastoreConfig,
) => Datastore) &
  Pick<typeof Datastore, "configSchema">;
