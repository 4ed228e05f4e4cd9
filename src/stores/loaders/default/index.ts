import { registerDataloader } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import { Dataloader, type DataloaderConfig, type DataloaderState } from "../../dataloader.js";
import type { RowSource } from "../../datastore.js";
import { fieldRemapper } from "../fields.js";

/**
 * Reads a datastore's sources in order, remembering `{iter_index, row_index}` (the source, and the
 * rows read from it) so that a run resumes exactly where it stopped. At the end of every pass
 * `next()` returns `undefined` once; with `loop_over: true` (default false) it then starts again
 * from the first row, re-opening the sources. `fields` remaps fields (`"*": "*"` keeps the rest).
 *
 * @example
 * dataloader:
 *   type: default
 *   loop_over: true
 *   fields: { "*": "*", text: content }
 */
@registerDataloader("default")
export class DefaultDataloader extends Dataloader {
  private sources: RowSource[] | undefined;
  private iterIndex = 0;
  private rowIndex = 0;
  private current: AsyncIterator<unknown> | undefined;
  private readonly remap: ReturnType<typeof fieldRemapper>;

  constructor(config: DataloaderConfig) {
    super(config);
    this.remap = fieldRemapper(this.config.fields);
  }

  getState(): DataloaderState {
    return { iter_index: this.iterIndex, row_index: this.rowIndex };
  }

  setState(state: DataloaderState): void {
    void this.current?.return?.();
    this.iterIndex = Math.max(0, Math.floor(state.iter_index));
    this.rowIndex = Math.max(0, Math.floor(state.row_index));
    this.current = undefined;
  }

  async next(): Promise<Row | undefined> {
    this.sources ??= await this.config.datastore.sources();
    while (this.iterIndex < this.sources.length) {
      const source = this.sources[this.iterIndex]!;
      // Opening at row_index skips the rows read before (after setState, efficiently where the
      // format allows).
      this.current ??= source.rows(this.rowIndex)[Symbol.asyncIterator]();
      const r = await this.current.next();
      if (!r.done) {
        this.rowIndex++;
        return this.remap(r.value, source.label, this.rowIndex);
      }
      this.iterIndex++;
      this.rowIndex = 0;
      this.current = undefined;
    }
    if (this.config.loop_over) {
      this.iterIndex = 0;
      this.rowIndex = 0;
      this.sources = undefined; // re-list: a glob may match new files, a store may have grown
    }
    return undefined;
  }

  override async close(): Promise<void> {
    await this.current?.return?.();
    this.current = undefined;
  }
}
