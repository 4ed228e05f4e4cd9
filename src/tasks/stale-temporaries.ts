import type { Dirent } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { processAlive } from "../util/process-alive.js";

/**
 * The temporaries digit's atomic writes use: `<file>.tmp-<pid>` (see `tempName`), the CSV spool
 * `<file>.tmp-<pid>-spool.jsonl` and Parquet's `.tmp-<pid>-<n>` parts. The pid is group 1.
 */
const TEMPORARY = /\.tmp-(\d+)(?:-[^/]*)?$/;

/**
 * Remove the temporaries a killed process left below a task folder: those whose process is gone,
 * or that are older than `since` (the pid may have been reused). Call it while holding the
 * folder's lock, so no other digit process can be writing there. Returns the files removed.
 *
 * @example
 * const removed = await removeStaleTemporaries("output/qa", Date.now());
 */
export async function removeStaleTemporaries(dir: string, since: number): Promise<string[]> {
  const removed: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    const m = TEMPORARY.exec(e.name);
    if (m && e.isFile()) {
      const st = await stat(path).catch(() => undefined);
      if (st && (st.mtimeMs < since || !processAlive(Number(m[1])))) {
        await rm(path, { force: true });
        removed.push(path);
      }
    } else if (e.isDirectory()) {
      removed.push(...(await removeStaleTemporaries(path, since)));
    }
  }
  return removed;
}
