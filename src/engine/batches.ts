import type { DataBuilder } from "../builders/databuilder.js";
import { RoutingError } from "../errors.js";
import type { CommitPosition, Task } from "../tasks/task.js";
import type { Row } from "../util/mapping.js";

/** One builder call in flight, with the input position of each task it drew rows from. */
export interface Batch {
  seq: number;
  inputs: Map<Task, { rows: number; position: CommitPosition }>;
  settled: Promise<void>;
  done: boolean;
  result: Row[] | undefined;
  error: unknown;
}

/**
 * Start a builder call. Its result is kept on the batch; the engine commits batches strictly in
 * the order they were started, so output order and checkpoints stay consistent however the
 * calls overlap.
 */
export function startBatch(
  seq: number,
  inputs: Batch["inputs"],
  call: () => Promise<Row[]>,
): Batch {
  const batch: Batch = {
    seq,
    inputs,
    settled: Promise.resolve(),
    done: false,
    result: undefined,
    error: undefined,
  };
  batch.settled = call()
    .then(
      (r) => {
        batch.result = r;
      },
      (e: unknown) => {
        batch.error = e;
      },
    )
    .finally(() => {
      batch.done = true;
    });
  return batch;
}

/** Group a builder's output rows by task; a row for no known task is an error. */
export function routeRows(builder: DataBuilder, rows: readonly Row[]): Map<Task, Row[]> {
  const out = new Map<Task, Row[]>();
  for (const row of rows) {
    const name = row.task_name;
    const task = builder.tasks.find((t) => t.name === name);
    if (!task)
      throw new RoutingError(
        builder.name,
        name,
        builder.tasks.map((t) => t.name),
      );
    if (!out.has(task)) out.set(task, []);
    out.get(task)!.push(row);
  }
  return out;
}

/**
 * Return at once when the oldest batch can be committed; otherwise wait until any running batch
 * settles, so a finished call frees its place for a new one while an older call still runs.
 * (Commits happen in start order either way.) `orWhen` wakes the caller early too.
 */
export async function waitForProgress(
  inflight: readonly Batch[],
  orWhen?: Promise<void>,
): Promise<void> {
  if (inflight.length === 0 || inflight[0]!.done) return;
  const settled = inflight.filter((b) => !b.done).map((b) => b.settled);
  await Promise.race(orWhen ? [...settled, orWhen] : settled);
}

/**
 * Whether the loop may start another call before committing: not when the oldest call has
 * finished (commit it first, so a builder that answers at once cannot keep the loop starting calls
 * without ever committing), and not past twice the most calls that may run (results waiting
 * behind a slow oldest call are held in memory).
 *
 * @example
 * while (mayStart(inflight, ctx) && running(inflight) < ctx.width) start();
 */
export function mayStart(
  inflight: readonly Batch[],
  limits: { width: number; fillWidth?: number | undefined },
): boolean {
  return !inflight[0]?.done && inflight.length < maxInFlight(limits);
}

/** The most builder calls ever in flight (started and not committed) at once. */
export function maxInFlight(limits: { width: number; fillWidth?: number | undefined }): number {
  return 2 * Math.max(limits.width, limits.fillWidth ?? 0, 1);
}

/** Builder calls still running (finished ones waiting for their turn to commit do not count). */
export function running(inflight: readonly Batch[]): number {
  let n = 0;
  for (const b of inflight) if (!b.done) n++;
  return n;
}
