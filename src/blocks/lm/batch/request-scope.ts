/**
 * The scope of batch requests: in a distributed run, the unit (builder call) that asks. A request's
 * `custom_id` is then derived from its unit as well as its body, so the same unit asks for the same
 * ids on whichever worker runs it (and a shared journal finds them), while equal prompts of two
 * units stay two requests.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";

const scope = new AsyncLocalStorage<string>();

/**
 * Run `fn` with batch requests scoped to `label` (a worker runs each unit so).
 *
 * @example
 * await runInBatchScope("unit:run-1:7", () => builder.call(requestIdx, rows));
 */
export function runInBatchScope<T>(label: string, fn: () => T): T {
  return scope.run(label, fn);
}

/**
 * A request hash within the current scope: unchanged outside any scope (a local run), else a hash
 * of the scope and the request hash (40 hex, as the request hash).
 *
 * @example
 * scopedRequestKey("9c1f…") // "9c1f…" in a local run, "41d0…" inside runInBatchScope("unit:r:3", …)
 */
export function scopedRequestKey(key: string): string {
  const label = scope.getStore();
  if (label === undefined) return key;
  return createHash("sha256").update(label).update("\u0000").update(key).digest("hex").slice(0, 40);
}
