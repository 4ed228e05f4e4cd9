import { resolve } from "node:path";
import type { CacheWarnings } from "./response-cache.js";
import { ResponseCache } from "./response-cache.js";

/** Where the response cache lives and whether it is used at all (the run's `--cache-dir`, `--no-cache`). */
export interface CacheSettings {
  /** Folder of the default database (`responses.sqlite`). */
  dir: string;
  /** False turns every block's cache off (`--no-cache`). */
  enabled: boolean;
}

/** The default database's file name inside the cache folder. */
export const CACHE_FILE = "responses.sqlite";

/**
 * The cache settings from the environment: `$DGT_CACHE_DIR` (default `./.cache/digit`) and
 * `$DGT_CACHE` (`0`, `off`, `false` or `no` turn the cache off), with `given` values winning.
 *
 * @example
 * cacheSettings({ dir: "/tmp/c" }) // { dir: "/tmp/c", enabled: true }
 */
export function cacheSettings(
  given: Partial<CacheSettings> = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): CacheSettings {
  const off = ["0", "off", "false", "no"].includes((env.DGT_CACHE ?? "").trim().toLowerCase());
  return {
    dir: resolve(cwd, given.dir ?? env.DGT_CACHE_DIR ?? ".cache/digit"),
    enabled: given.enabled ?? !off,
  };
}

/** One connection per database file per process (SQLite wants one writer per process). */
const open = new Map<string, ResponseCache>();

/**
 * The process's connection to the cache database `file` (opened on first use). Throws a
 * CacheError when the file's folder cannot be created or written.
 *
 * @example
 * sharedCache(join(cacheSettings().dir, CACHE_FILE), logger).get(key)
 */
export function sharedCache(file: string, warnings?: CacheWarnings): ResponseCache {
  const path = resolve(file);
  let cache = open.get(path);
  if (!cache) {
    cache = ResponseCache.open(path, { warnings, busyTimeoutMs: busyTimeout() });
    open.set(path, cache);
  }
  return cache;
}

/** Close every connection `sharedCache` opened (tests, and commands that delete the file). */
export function closeSharedCaches(): void {
  for (const c of open.values()) c.close();
  open.clear();
}

/** `$DGT_CACHE_BUSY_TIMEOUT_MS`: how long a write waits for another process's lock (default 5000). */
function busyTimeout(): number {
  const v = Number(process.env.DGT_CACHE_BUSY_TIMEOUT_MS);
  return Number.isInteger(v) && v >= 0 ? v : 5000;
}
