import type { AdaptiveLimiter } from "../blocks/lm/limiter.js";
import type { DataBuilder } from "../builders/databuilder.js";

/**
 * Whether a builder's LLM capacity would go unused: some limiter of its blocks has spare slots and
 * none has requests waiting. The generation loop then starts another builder call, so the rows of
 * the next batches reach the credential before the current ones finish.
 *
 * @example
 * if (running < ctx.fillWidth && spareCapacity(builder)) startAnotherCall();
 */
export function spareCapacity(builder: DataBuilder): boolean {
  const limiters = builderLimiters(builder);
  return limiters.length > 0 && limiters.some((l) => l.spare > 0) && limiters.every((l) => l.waiting === 0);
}

/**
 * Resolves the next time one of the builder's limiters starts to have spare capacity (never, for a
 * builder without LLM blocks).
 *
 * @example
 * await Promise.race([batchSettled, whenSpareCapacity(builder)]);
 */
export function whenSpareCapacity(builder: DataBuilder): Promise<void> | undefined {
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
