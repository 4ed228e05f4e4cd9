import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OutputLockedError } from "../errors.js";

const LOCK_FILE = ".digit.lock";

/**
 * Hold a task's output folder for this process: a lock file with our pid, created exclusively. A
 * lock left by a process that is no longer alive is taken over. Returns a release function.
 *
 * @example
 * const release = acquireLock("output/qa");
 * try { ... } finally { release(); }
 */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }), { flag: "wx" });
      return () => {
        try {
          if (holder(file) === process.pid) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = holder(file);
      if (pid !== undefined && pid !== process.pid && alive(pid)) throw new OutputLockedError(dir, pid);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new OutputLockedError(dir, holder(file) ?? -1);
}

function holder(file: string): number | undefined {
  try {
    const pid = Number((JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
