import type { AdaptiveLimiter } from "../blocks/lm/limiter.js";
import type { DataBuilder } from "../builders/databuilder.js";
import { type Batch, running } from "./batches.js";
import type { LoopContext } from "./loop-context.js";

/**
 * Whether a loop already running `ctx.width` calls may start one more to fill spare capacity:
 * filling is on (`ctx.fillWidth`), under its bound, and the builder's LLM limiters have room (free
 * slots, or fewer requests queued than they want ready). So the rows of the next batches reach the
 * credential before the current ones finish, and a released slot finds a request waiting.
 *
 * @example
 * if (running(inflight) >= ctx.width && !mayFill(builder, inflight, ctx)) break;
 */
export function mayFill(
  builder: DataBuilder,
  inflight: readonly Batch[],
  ctx: LoopContext,
): boolean {
  return running(inflight) < (ctx.fillWidth ?? 0) && spareCapacity(builder);
}

/**
 * What a loop waiting for its calls should also wake on: the next time the builder's LLM capacity
 * has room, if filling could then start a call (undefined otherwise).
 *
 * @example
 * await waitForProgress(inflight, whenFillable(builder, inflight, ctx));
 */
export function whenFillable(
  builder: DataBuilder,
  inflight: readonly Batch[],
  ctx: LoopContext,
): Promise<void> | undefined {
  return running(inflight) < (ctx.fillWidth ?? 0) ? whenSpareCapacity(builder) : undefined;
}

/** Whether some limiter of the builder's blocks has spare room and none has more queued than it wants. */
function spareCapacity(builder: DataBuilder): boolean {
  const limiters = builderLimiters(builder);
  return (
    limiters.length > 0 &&
    limiters.some((l) => l.spare > 0) &&
    limiters.every((l) => l.waiting < l.queueTarget)
  );
}

/** The next time one of the builder's limiters starts to have spare capacity (none: undefined). */
function whenSpareCapacity(builder: DataBuilder): Promise<void> | undefined {
  const limiters = builderLimiters(builder);
  return limiters.length ? Promise.race(limiters.map((l) => l.whenSpare())) : undefined;
}

/** The distinct limiters of a builder's blocks (nested blocks included; created on first use). */
function builderLimiters(builder: DataBuilder): AdaptiveLimiter[] {
  return [...new Set([...builder.blocks.values()].flatMap((b) => b.limiters()))];
}

/**
 * Let a builder call just started run up to its first real wait, so that its requests are in the
 * limiters' queues before the capacity is judged again.
 */
export function afterQueued(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
