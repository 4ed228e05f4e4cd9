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
  /** The current source's rows, a batch at a time, and where this loader is in the batch. */
  private current: AsyncIterator<readonly unknown[]> | undefined;
  private batch: readonly unknown[] = [];
  private inBatch = 0;
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
    this.batch = [];
    this.inBatch = 0;
  }

  async next(): Promise<Row | undefined> {
    const { rows, end } = await this.nextBatch(1);
    return end ? undefined : rows[0];
  }

  override async nextBatch(
    max: number,
    positions?: DataloaderState[],
  ): Promise<{ rows: Row[]; end: boolean }> {
    const rows: Row[] = [];
    this.sources ??= await this.config.datastore.sources();
    while (rows.length < max) {
      if (this.inBatch < this.batch.length) {
        const label = this.sources[this.iterIndex]!.label;
        const take = Math.min(this.batch.length, this.inBatch + max - rows.length);
        while (this.inBatch < take) {
          rows.push(this.remap(this.batch[this.inBatch++], label, ++this.rowIndex));
          positions?.push({ iter_index: this.iterIndex, row_index: this.rowIndex - 1 });
        }
        continue;
      }
      if (this.iterIndex >= this.sources.length) {
        if (this.config.loop_over) {
          this.iterIndex = 0;
          this.rowIndex = 0;
          this.sources = undefined; // re-list: a glob may match new files, a store may have grown
        }
        return { rows, end: true };
      }
      const source = this.sources[this.iterIndex]!;
      // Opening at row_index skips the rows read before (after setState, efficiently where the
      // format allows).
      this.current ??= (
        source.batches ? source.batches(this.rowIndex) : oneByOne(source.rows(this.rowIndex))
      )[Symbol.asyncIterator]();
      const r = await this.current.next();
      this.inBatch = 0;
      if (!r.done) {
        this.batch = r.value;
        continue;
      }
      this.batch = [];
      this.iterIndex++;
      this.rowIndex = 0;
      this.current = undefined;
    }
    return { rows, end: false };
  }

  override async close(): Promise<void> {
    await this.current?.return?.();
    this.current = undefined;
  }
}

/** A source without batches, as batches of one row (read no further ahead than asked). */
async function* oneByOne(rows: AsyncIterable<unknown>): AsyncGenerator<readonly unknown[]> {
  for await (const r of rows) yield [r];
}
