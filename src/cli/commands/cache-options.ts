import { InvalidArgumentError } from "commander";
import type { OptionSpec } from "../option-spec.js";

// Kept apart from cache.ts so that the command table (and `digit --help`) loads no SQLite code.

/** What `digit cache` does. */
export const CACHE_ACTIONS = ["stats", "prune", "clear"] as const;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parse an age such as `30d`, `12h`, `90m`, `2w` or `45s` into milliseconds.
 *
 * @example
 * parseAge("30d") // 2592000000
 */
export function parseAge(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected an age like 30d, 12h, 90m, 2w or 45s");
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** Options of `digit cache` (declared as data, like every command's). */
export const CACHE_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--older-than <age>",
    key: "olderThan",
    description: "prune: delete answers stored longer ago than this (30d, 12h, 90m, 2w, 45s)",
    parse: parseAge,
  },
  {
    flags: "--cache-dir <dir>",
    key: "cacheDir",
    description: "the cache folder (default $DGT_CACHE_DIR or ./.cache/digit)",
  },
  {
    flags: "--file <db>",
    key: "file",
    description: "a cache database file instead (a block's lm_cache)",
  },
  { flags: "--json", key: "json", description: "stats: print JSON instead of a table" },
];
