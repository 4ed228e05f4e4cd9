import { createRequire } from "node:module";
import type FastGlob from "fast-glob";

let loaded: typeof FastGlob | undefined;

/**
 * fast-glob, loaded on first use: only a pattern with wildcards needs it, and a run without globs
 * should not pay its loading time at start-up.
 *
 * @example
 * fastGlob().sync("data/*.jsonl", { absolute: true })
 */
export function fastGlob(): typeof FastGlob {
  loaded ??= createRequire(import.meta.url)("fast-glob") as typeof FastGlob;
  return loaded;
}
