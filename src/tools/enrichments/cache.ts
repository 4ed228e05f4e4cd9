import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Row } from "../../util/mapping.js";
import { isObj } from "../../util/mapping.js";
import { sortedJson } from "../types.js";

/**
 * `$DGT_CACHE_DIR/enrichments/<type>/<fingerprint>.json` (DiGiT's layout; `.cache` by default).
 *
 * @example
 * enrichmentCachePath("embeddings", "ab12") // ".cache/enrichments/embeddings/ab12.json"
 */
export function enrichmentCachePath(type: string, fingerprint: string): string {
  return join(process.env.DGT_CACHE_DIR || ".cache", "enrichments", type, `${fingerprint}.json`);
}

/**
 * SHA-256 over the sorted JSON of each part.
 *
 * @example
 * cacheFingerprint([["math::add", "fp"]], "model") // 64 hex characters
 */
export function cacheFingerprint(...parts: unknown[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(sortedJson(p));
  return h.digest("hex");
}

/**
 * The cached entries (`{}` when absent or unreadable: a cache miss, not an error).
 *
 * @example
 * const cached = loadCache(path);
 */
export function loadCache(path: string): Row {
  if (!existsSync(path)) return {};
  try {
    const v: unknown = JSON.parse(readFileSync(path, "utf8"));
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

/**
 * Merge entries into the cache file (written to a temporary file, then renamed).
 *
 * @example
 * saveCache(path, { "math::add": schema });
 */
export function saveCache(path: string, entries: Row): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...loadCache(path), ...entries }));
  renameSync(tmp, path);
}
