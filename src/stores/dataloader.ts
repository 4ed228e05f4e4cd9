import { z } from "zod";
import { derivedFrom } from "../config/source-map.js";
import { parseWith } from "../config/zod-errors.js";
import type { Row } from "../util/mapping.js";
import type { Datastore } from "./datastore.js";

/**
 * Where a dataloader stands: which source, and how many rows of it were read.
 *
 * @example
 * getState(): DataloaderState { return { iter_index: 0, row_index: this.index }; }
 */
export interface DataloaderState {
  iter_index: number;
  row_index: number;
}

/**
 * Keys every dataloader reads from the task's `dataloader:` mapping (the datastore is handed to it
 * by the task). Shown by `digit describe <dataloader>`.
 */
export const dataloaderConfigShape = {
  type: z
    .string()
    .default("default")
    .describe("The dataloader type (see `digit list dataloaders`)"),
  loop_over: z
    .boolean()
    .default(false)
    .describe("Start again from the first row after the last one (seed loops)"),
  fields: z
    .record(z.string(), z.string())
    .optional()
    .describe('Field remapping {source_path: dest_path}; "*": "*" keeps the other fields'),
};

/**
 * The keys every dataloader type accepts; a type's `configSchema` extends it and owns its own
 * defaults (`loop_over` is false here, as in DiGiT's default loader; the simple loader's is true).
 *
 * @example
 * dataloaderSchema.parse({}) // { type: "default", loop_over: false }
 */
export const dataloaderSchema = z.object(dataloaderConfigShape);

/** What a dataloader is built from: the task's `dataloader:` keys and the datastore to read. */
export interface DataloaderConfig {
  type?: string | undefined;
  datastore: Datastore;
  [key: string]: unknown;
}

/**
 * A dataloader's parsed config: its schema's output (defaults applied; keys it does not declare
 * are dropped, as DiGiT's loaders ignore extra keyword arguments) and the datastore it reads.
 *
 * @example
 * const config: DataloaderSettings<typeof dataloaderSchema> = loader.config;
 * config.loop_over // boolean
 */
export type DataloaderSettings<S extends z.ZodObject> = z.output<S> & { datastore: Datastore };

/**
 * A resumable iterator over a datastore. `next()` returns a row, or `undefined` once at the end of
 * each pass; a looping loader then starts again from the first row.
 *
 * @example
 * const loader = await createDataloader(registry, { type: "default", datastore: seeds, loop_over: true });
 * const row = await loader.next();
 * const state = loader.getState(); // { iter_index: 0, row_index: 1 }
 */
export abstract class Dataloader<S extends z.ZodObject = typeof dataloaderSchema> {
  /** The keys this type reads, with types, defaults and descriptions (`digit describe`). */
  static configSchema: z.ZodObject = dataloaderSchema;
  /** The config parsed by this class's `configSchema`, and the datastore. */
  readonly config: DataloaderSettings<S>;
  constructor(config: DataloaderConfig) {
    const { datastore, ...keys } = config;
    const schema = (this.constructor as typeof Dataloader).configSchema;
    const parsed = parseWith(
      schema,
      derivedFrom(keys, config),
      `dataloader '${config.type ?? "default"}'`,
    );
    // The subclass declares `configSchema` as the schema its `S` names; statics cannot say so.
    this.config = { ...parsed, datastore } as DataloaderSettings<S>;
  }
  abstract next(): Promise<Row | undefined>;
  /**
   * Up to `max` rows at once: what as many `next()` calls would give. `end` says the pass ended
   * within this call (where `next()` would have returned `undefined`); the rows before the end
   * are returned with it. Given `positions`, each row's place in the input (its source and 0-based
   * row there) is pushed to it, in step with `rows`. Loaders that read in batches override it to
   * skip a promise per row.
   *
   * @example
   * const { rows, end } = await loader.nextBatch(1024);
   */
  async nextBatch(
    max: number,
    positions?: DataloaderState[],
  ): Promise<{ rows: Row[]; end: boolean }> {
    const rows: Row[] = [];
    while (rows.length < max) {
      const r = await this.next();
      if (r === undefined) return { rows, end: true };
      rows.push(r);
      if (positions) {
        const after = this.getState();
        positions.push({
          iter_index: after.iter_index,
          row_index: Math.max(0, after.row_index - 1),
        });
      }
    }
    return { rows, end: false };
  }
  abstract getState(): DataloaderState;
  abstract setState(state: DataloaderState): void;
  async close(): Promise<void> {}
}

/** Constructor shape the registry hands out for dataloaders. */
export type DataloaderClass = new (config: DataloaderConfig) => Dataloader;
