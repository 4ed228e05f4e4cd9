import type { Block } from "../blocks/block.js";
import type { DataBuilder } from "../builders/databuilder.js";
import type { Task } from "../tasks/task.js";
import type { Row } from "../util/mapping.js";

/**
 * Records handed to the postprocessors at once when every one of them is `rowwise`. Otherwise
 * they get the whole accepted set in one call (a ROUGE-L dedup compares every pair). Small, since
 * each chunk is held several times over (originals, copies, block items) while it passes; the
 * per-call overhead is negligible at this size.
 */
export const POSTPROCESS_CHUNK = 2_000;

/**
 * Run the builder's postprocessors over every accepted record of one task, in order, then save the
 * result as the next `postproc_data_N` and make it the task's accepted set. Records stream from
 * disk to the new snapshot, `POSTPROCESS_CHUNK` at a time when every postprocessor is `rowwise`.
 * Blocks get copies, and the accepted set changes only once the snapshot is complete, so a failure
 * leaves it untouched.
 *
 * @example
 * await postprocess(builder, task); // e.g. rouge dedup over the whole task
 */
export async function postprocess(
  builder: DataBuilder,
  task: Task,
): Promise<{ before: number; after: number }> {
  const steps = builder.config.postprocessors;
  const before = task.accepted.length;
  if (steps.length === 0 || task.unprocessed === 0) return { before, after: before };
  const calls = steps.map(({ name, ...kwargs }) => ({
    block: builder.block(String(name)),
    kwargs,
  }));
  // Blocks of a plugin built against another copy of digit may lack these members.
  const chunk = calls.every((c) => (c.block.constructor as Partial<typeof Block>).rowwise === true)
    ? POSTPROCESS_CHUNK
    : Number.POSITIVE_INFINITY;
  for (const c of calls) (c.block as Partial<Block>).startPass?.(task.name);
  await builder.telemetry.withSpan(
    "dgt.postprocessing",
    { task_name: task.name, epoch: task.postprocessEpoch + 1, input_count: before },
    async (span) => {
      let out = 0;
      async function* through(originals: Row[]): AsyncGenerator<Row> {
        const copyOf = new Map<unknown, Row>();
        let rows = originals.map((r) => {
          const copy = { ...r };
          copyOf.set(copy, r);
          return copy;
        });
        for (const { block, kwargs } of calls) rows = await block.call(rows, kwargs, span);
        out += rows.length;
        for (const r of rows) yield task.keepOutputFields(r, copyOf.get(r));
      }
      async function* processed(): AsyncGenerator<Row> {
        let batch: Row[] = [];
        for await (const r of task.readAccepted()) {
          batch.push(r);
          if (batch.length >= chunk) {
            yield* through(batch);
            batch = [];
          }
        }
        if (batch.length) yield* through(batch);
      }
      await task.savePostprocessed(processed());
      span.set({ output_count: out });
    },
  );
  const after = task.accepted.length;
  builder.telemetry.event("postprocessing_finished", {
    builder_name: builder.name,
    task_name: task.name,
    epoch: task.postprocessEpoch,
    before,
    after,
  });
  task.logger.info(
    `postprocessing epoch ${task.postprocessEpoch} of '${task.name}': ${before} → ${after} records`,
  );
  return { before, after };
}
