import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerDataloader } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import {
  Dataloader,
  type DataloaderConfig,
  type DataloaderState,
  dataloaderSchema,
} from "../../dataloader.js";
import { fieldRemapper } from "../fields.js";

/** The keys of a `simple` dataloader: it loops by default, as DiGiT's does. */
const simpleDataloaderSchema = dataloaderSchema.extend({
  loop_over: z
    .boolean()
    .default(true)
    .describe("Start again from the first row after the last one"),
  data: z
    .array(z.unknown())
    .optional()
    .describe("Rows to loop over instead of the task's datastore"),
});

/**
 * Loops over an in-memory list: the config's `data`, or — when selected from a task YAML, where
 * the task hands it a datastore — every row of the datastore, read once. State is
 * `{iter_index: 0, row_index: <position>}`; `loop_over` defaults to true. At the end of each pass
 * `next()` returns `undefined` once.
 *
 * @example
 * dataloader:
 *   type: simple
 */
@registerDataloader("simple")
export class SimpleDataloader extends Dataloader<typeof simpleDataloaderSchema> {
  static override configSchema: z.ZodObject = simpleDataloaderSchema;
  private rows: readonly unknown[] | undefined;
  private index = 0;
  private readonly remap: ReturnType<typeof fieldRemapper>;

  constructor(config: DataloaderConfig) {
    super(config);
    const data = this.config.data;
    if (data === undefined && !config.datastore)
      throw new ConfigError("simple dataloader: give it data (a list) or a datastore");
    this.rows = data;
    this.remap = fieldRemapper(this.config.fields);
  }

  getState(): DataloaderState {
    return { iter_index: 0, row_index: this.index };
  }

  setState(state: DataloaderState | number): void {
    // DiGiT's simple loader saved a bare integer; accept it too.
    this.index = Math.max(0, Math.floor(typeof state === "number" ? state : state.row_index));
  }

  async next(): Promise<Row | undefined> {
    if (this.rows === undefined) this.rows = await this.config.datastore.readAll();
    if (this.index >= this.rows.length) {
      if (this.config.loop_over) this.index = 0;
      return undefined;
    }
    const value = this.rows[this.index++];
    const label =
      this.config.data !== undefined
        ? "the simple dataloader's data"
        : this.config.datastore.location;
    return this.remap(
      typeof value === "object" && value !== null ? structuredClone(value) : value,
      label,
      this.index,
    );
  }
}
