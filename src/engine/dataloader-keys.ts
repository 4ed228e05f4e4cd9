import type { z } from "zod";
import { positionOf } from "../config/source-map.js";
import { closest } from "../util/did-you-mean.js";
import { isObj } from "../util/mapping.js";

/**
 * Keys of a task's `dataloader:` mapping that its dataloader type does not declare, each with where
 * it is written and the closest declared key. The loader drops such keys (as DiGiT's loaders
 * ignore extra keyword arguments), so a typo like `loop_ovr` would change nothing without a word:
 * the plan warns about each one instead of failing, which keeps DiGiT's task files running.
 *
 * @example
 * undeclaredDataloaderKeys({ type: "default", loop_ovr: true }, dataloaderSchema, "task.yaml")
 * // [{ key: "loop_ovr", where: "task.yaml", closest: "loop_over" }]
 */
export function undeclaredDataloaderKeys(
  raw: unknown,
  schema: z.ZodObject,
  file: string | undefined,
): { key: string; where: string; closest: string | undefined }[] {
  if (!isObj(raw)) return [];
  const known = Object.keys(schema.shape);
  return Object.keys(raw)
    .filter((k) => !known.includes(k))
    .map((key) => {
      const pos = positionOf(raw, key);
      const at = pos ? `${pos.file}:${pos.line}` : (file ?? "the task");
      return { key, where: at, closest: closest(key, known) };
    });
}
