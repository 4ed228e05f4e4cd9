import type { TransformationDataBuilder } from "../builders/databuilder.js";
import { BudgetExhausted } from "../errors.js";
import type { TransformationTask } from "../tasks/transformation-task.js";
import type { Row } from "../util/mapping.js";
import { growsBatches, nextBatchSize } from "./batch-size.js";
import {
  type Batch,
  mayStart,
  routeRows,
  running,
  startBatch,
  waitForProgress,
} from "./batches.js";
import { afterQueued, mayFill, whenFillable } from "./capacity.js";
import type { LoopContext } from "./loop-context.js";
import { postprocess } from "./postprocess.js";

/**
 * Run a transformation builder once over the input of its tasks: batches of
 * `transform_batch_size` rows per task (growing to `LOCAL_BATCH_MAX` when nothing waits on a
 * network, see `growsBatches`), up to `ctx.width` calls at once (up to `ctx.fillWidth`
 * while the builder's LLM limiters have spare capacity), committed in input order; then
 * postprocessing once, then every task finishes.
 */
export async function runTransformationLoop(
  builder: TransformationDataBuilder,
  ctx: LoopContext,
): Promise<void> {
  const tasks = builder.tasks;
  for (const t of tasks) {
    const m = ctx.metrics.task(t.name, "transformation");
    m.accepted = t.accepted.length;
    m.status = "running";
  }
  const grows = growsBatches(builder, ctx);
  const inflight: Batch[] = [];
  let seq = 0;
  const cancelled = () => ctx.signal?.aborted === true;
  /** Set when a spending cap refused a request: this batch and every later one stay uncommitted. */
  let budgetStop: BudgetExhausted | undefined;
  for (;;) {
    let more = true;
    while (!cancelled() && !budgetStop && !ctx.budget?.exhausted && mayStart(inflight, ctx)) {
      const filling = running(inflight) >= ctx.width;
      if (filling && !mayFill(builder, inflight, ctx)) break;
      const inputs: Batch["inputs"] = new Map();
      const pool: Row[] = [];
      for (const t of tasks) {
        if (t.isComplete()) continue;
        const b = await t.nextBatch();
        if (grows) t.nextBatchSize = nextBatchSize(t.nextBatchSize ?? t.batchSize);
        if (b.rows.length === 0) continue;
        inputs.set(t, { rows: b.rows.length, position: b.position });
        pool.push(...b.rows);
      }
      if (pool.length === 0) {
        more = false;
        break;
      }
      inflight.push(startBatch(seq++, inputs, () => ctx.executor.transform(builder, pool)));
      if (filling) await afterQueued();
    }
    await waitForProgress(inflight, more ? whenFillable(builder, inflight, ctx) : undefined);
    while (inflight[0]?.done) {
      const b = inflight.shift()!;
      if (b.error instanceof BudgetExhausted) budgetStop ??= b.error;
      // Past a refused request nothing is committed: a rerun transforms these rows again (from the cache).
      if (budgetStop) continue;
      if (b.error !== undefined) throw b.error;
      const routed = routeRows(builder, b.result ?? []);
      for (const t of new Set([...b.inputs.keys(), ...routed.keys()]) as Set<TransformationTask>) {
        const input = b.inputs.get(t);
        const rows = routed.get(t) ?? [];
        await t.commit(
          rows,
          input?.position ?? {
            iter_index: t.checkpoint.iter_index,
            row_index: t.checkpoint.row_index,
          },
        );
        const m = ctx.metrics.task(t.name);
        m.produced += rows.length;
        m.accepted = t.accepted.length;
      }
    }
    if (inflight.length > 0) continue;
    if (budgetStop || ctx.budget?.exhausted) {
      for (const t of tasks)
        await ctx.finish(t, "budget_exhausted", budgetStop ?? ctx.budget!.exhausted);
      return;
    }
    if (cancelled()) {
      for (const t of tasks) await ctx.finish(t, "cancelled");
      return;
    }
    if (tasks.every((t) => t.isComplete())) break;
  }
  for (const t of tasks) {
    try {
      await postprocess(builder, t);
    } catch (e) {
      if (!(e instanceof BudgetExhausted)) throw e;
      await ctx.finish(t, "budget_exhausted", e);
      continue;
    }
    ctx.metrics.task(t.name).accepted = t.accepted.length;
    builder.telemetry.event("transformation_finished", {
      builder_name: builder.name,
      task_name: t.name,
      records: t.accepted.length,
    });
    await ctx.finish(t, "completed");
  }
}
