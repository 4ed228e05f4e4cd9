import type { Logger, Row, Task } from "digit-sdg";
import type { DataloaderState } from "../../../src/stores/dataloader.js";
import { cutPartialLine } from "../../../src/stores/formats/jsonl.js";

/** The field of a refused record (in `blocks/<column>.jsonl`) that holds its record index. */
export const REJECT_INDEX = "record_index";

/**
 * The record index of a transformation's input row: its row in the first input source, beyond
 * that 2^32 per source. It depends only on where the row is in the input, so two equal rows draw
 * independently and a row draws the same on resume and rerun.
 *
 * @example
 * positionIndex({ iter_index: 0, row_index: 41 }) // 41
 */
export function positionIndex(position: DataloaderState): number {
  return position.iter_index * 2 ** 32 + position.row_index;
}

/**
 * The first record index a task has not committed: a generation task's checkpoint holds the next
 * record index (`row_index`), a transformation's the next input position.
 *
 * @example
 * committedBound(task) // 40 after four batches of 10
 */
export function committedBound(task: Task): number {
  const cp = task.checkpoint;
  return task.kind === "generation" ? cp.row_index : positionIndex(cp);
}

/**
 * Make the refused records of a resumed task agree with its checkpoint: rows of `blocks/<column>`
 * whose record index is at or past `bound` belong to batches that were never committed (the run
 * was killed while they were in flight); those batches are made again, and with them their
 * refusals, so the rows are removed here rather than written twice. Rows without an index are
 * kept. A torn last line (an append the kill cut short) is cut first.
 *
 * @example
 * await trimUncommittedRejects(task, ["answer_check"], committedBound(task), logger);
 */
export async function trimUncommittedRejects(
  task: Task,
  columns: readonly string[],
  bound: number,
  logger: Logger,
): Promise<void> {
  for (const column of columns) {
    let store: Awaited<ReturnType<Task["rejectStore"]>>;
    try {
      store = await task.rejectStore(column);
    } catch {
      continue; // a name that cannot be a file never had refusals written
    }
    if (!(await store.exists())) continue;
    if (store.location.endsWith(".jsonl")) await cutPartialLine(store.location);
    const uncommitted = (r: Row) => typeof r[REJECT_INDEX] === "number" && r[REJECT_INDEX] >= bound;
    let dropped = 0;
    for await (const r of store.read()) if (uncommitted(r)) dropped++;
    if (dropped === 0) continue;
    async function* kept(): AsyncGenerator<Row> {
      for await (const r of store.read()) if (!uncommitted(r)) yield r;
    }
    await store.replace(kept());
    logger.info(
      `task '${task.name}': removed ${dropped} refused record(s) of batches that were never committed from ${store.location}; they are made again`,
    );
  }
}
