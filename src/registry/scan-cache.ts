import { readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { CODE_ROOT, packageSourceRoots } from "./package-root.js";
import { type ScanCache, scanCacheOf } from "./scan.js";

/**
 * Where `npm run build` leaves what the registry scan found in the package's own compiled code,
 * so that a run does not read and search every file of the package at start-up. Paths in it
 * are relative to the code root. A file whose size or modification time changed since is read
 * again, so a stale cache costs time, never correctness.
 */
export const SCAN_CACHE_FILE = join(CODE_ROOT, "registry-scan.json");

/**
 * The scan cache of the package's own code, with absolute paths; empty when there is none (as
 * when running from source) or it cannot be read.
 *
 * @example
 * await scanRoots(roots, readScanCache());
 */
export function readScanCache(file: string = SCAN_CACHE_FILE): ScanCache {
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return {};
  }
  if (
    !stored ||
    typeof stored !== "object" ||
    (stored as { version?: unknown }).version !== CACHE_VERSION
  )
    return {};
  const out: ScanCache = {};
  for (const [rel, f] of Object.entries((stored as { files?: ScanCache }).files ?? {}))
    out[join(CODE_ROOT, rel)] = f;
  return out;
}

/**
 * Scan the package's own code and write the cache (run by `npm run build` after `tsc`).
 *
 * @example
 * await writeScanCache(); // dist/registry-scan.json
 */
export async function writeScanCache(file: string = SCAN_CACHE_FILE): Promise<number> {
  const files: ScanCache = {};
  for (const [abs, f] of Object.entries(await scanCacheOf(packageSourceRoots()))) {
    const rel = relative(CODE_ROOT, abs);
    if (!rel.startsWith("..") && !isAbsolute(rel)) files[rel] = f;
  }
  writeFileSync(file, `${JSON.stringify({ version: CACHE_VERSION, files })}\n`);
  return Object.keys(files).length;
}

const CACHE_VERSION = 1;
