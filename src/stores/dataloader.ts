import { z } from "zod";
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
  type: z.string().default("default").describe("The dataloader type (see `digit list dataloaders`)"),
  loop_over: z.boolean().default(false).describe("Start again from the first row after the last one (seed loops)"),
  fields: z.record(z.string(), z.string()).optional().describe('Field remapping {source_path: dest_path}; "*": "*" keeps the other fields'),
};

/** What a dataloader is built from. */
export interface DataloaderConfig {
  type: string;
  datastore: Datastore;
  /** Start again from the first row after the last one (seed loops). */
  loop_over?: boolean | undefined;
  /** Field remapping `{source_path: dest_path}`; `"*": "*"` keeps the other fields. */
  fields?: Record<string, string> | undefined;
  [key: string]: unknown;
}

/**
 * A resumable iterator over a datastore. `next()` returns a row, or `undefined` once at the end of
 * each pass; a looping loader then starts again from the first row.
 *
 * @example
 * const loader = await createDataloader(registry, { type: "default", datastore: seeds, loop_over: true });
 * const row = await loader.next();
 * const state = loader.getState(); // { iter_index: 0, row_index: 1 }
 */
export abstract class Dataloader {
  /** The keys this type reads, with types, defaults and descriptions (`digit describe`). */
  static configSchema: z.ZodObject = z.object(dataloaderConfigShape);
  readonly config: DataloaderConfig;
  constructor(config: DataloaderConfig) {
    this.config = config;
  }
  abstract next(): Promise<Row | undefined>;
  abstract getState(): DataloaderState;
  abstract setState(state: DataloaderState): void;
  async close(): Promise<void> {}
}

/** Constructor shape the registry hands out for dataloaders. */
export type DataloaderClass = new (config: DataloaderConfig) => Dataloader;
