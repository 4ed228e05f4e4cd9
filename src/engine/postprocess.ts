import type { Row } from "../util/mapping.js";
import type { DataBuilder } from "../builders/databuilder.js";
import type { Task } from "../tasks/task.js";

/**
 * Run the builder's postprocessors over every accepted record of one task, in order, then save the
 * result as the next `postproc_data_N` and make it the task's accepted set. Blocks get copies, so
 * a failure leaves the accepted records untouched.
 *
 * @example
 * await postprocess(builder, task); // e.g. rouge dedup over the whole task
 */
export async function postprocess(builder: DataBuilder, task: Task): Promise<{ before: number; after: number }> {
  const steps = builder.config.postprocessors;
  const before = task.accepted.length;
  if (steps.length === 0 || task.unprocessed === 0) return { before, after: before };
  const originals = new Map<unknown, Row>();
  let rows = task.accepted.map((r) => {
    const copy = { ...r };
    originals.set(copy, r);
    return copy;
  });
  await builder.telemetry.withSpan("dgt.postprocessing", { task_name: task.name, epoch: task.postprocessEpoch + 1, input_count: before }, async (span) => {
    for (const { name, ...kwargs } of steps) rows = await builder.block(name).call(rows, kwargs, span);
    span.set({ output_count: rows.length });
  });
  await task.savePostprocessed(rows.map((r) => task.keepOutputFields(r, originals.get(r))));
  const after = task.accepted.length;
  builder.telemetry.event("postprocessing_finished", { builder_name: builder.name, task_name: task.name, epoch: task.postprocessEpoch, before, after });
  task.logger.info(`postprocessing epoch ${task.postprocessEpoch} of '${task.name}': ${before} → ${after} records`);
  return { before, after };
}
