import type { Block } from "../blocks/block.js";
import type { TransformationDataBuilder } from "../builders/databuilder.js";
import type { LoopContext } from "./loop-context.js";

/** The largest batch a transformation grows to when nothing in it waits on a network. */
export const LOCAL_BATCH_MAX = 1024;

/**
 * Whether a transformation's batches may grow past `transform_batch_size`: its calls run in this
 * process, its builder declares that it treats rows one by one (`static rowwise`), and so do all
 * its blocks, none of which sends requests (no LLM limiter). Then the batch size only sets how
 * often progress is saved, never what is produced, and larger batches cost less per row.
 *
 * @example
 * if (growsBatches(builder, ctx)) size = nextBatchSize(size);
 */
export function growsBatches(
  builder: TransformationDataBuilder,
  ctx: Pick<LoopContext, "executor">,
): boolean {
  if (ctx.executor.name !== "local") return false;
  if ((builder.constructor as { rowwise?: unknown }).rowwise !== true) return false;
  for (const block of builder.blocks.values()) {
    if ((block.constructor as Partial<typeof Block>).rowwise !== true) return false;
    if (block.limiters().length > 0) return false;
  }
  return true;
}

/**
 * The next batch size of a growing transformation: twice the last, up to `LOCAL_BATCH_MAX` (never
 * below the configured one).
 *
 * @example
 * nextBatchSize(100) // 200
 */
export function nextBatchSize(size: number): number {
  return Math.max(size, Math.min(size * 2, LOCAL_BATCH_MAX));
}
