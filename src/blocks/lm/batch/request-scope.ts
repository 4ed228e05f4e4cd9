/**
 * The scope of batch requests: in a distributed run, the unit (builder call) that asks. A request's
 * `custom_id` is then derived from its unit as well as its body, so the same unit asks for the same
 * ids on whichever worker runs it (and a shared journal finds them), while equal prompts of two
 * units stay two requests. A local run has no scope; the distributed worker installs where the
 * current unit's label is read (its own async context), so this module needs none.
 */
import { createHash } from "node:crypto";

let currentScope: () => string | undefined = () => undefined;

/**
 * Install where the current batch scope is read (the distributed worker does, once).
 *
 * @example
 * useBatchScope(() => unitContext.getStore()?.batchScope);
 */
export function useBatchScope(source: () => string | undefined): void {
  currentScope = source;
}

/**
 * A request hash within the current scope: unchanged outside any scope (a local run), else a hash
 * of the scope and the request hash (40 hex, as the request hash).
 *
 * @example
 * scopedRequestKey("9c1f…") // "9c1f…" in a local run, "41d0…" while a worker runs unit "unit:r:3"
 */
export function scopedRequestKey(key: string): string {
  const label = currentScope();
  if (label === undefined) return key;
  return createHash("sha256").update(label).update("\u0000").update(key).digest("hex").slice(0, 40);
}
