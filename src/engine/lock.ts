import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { OutputLockedError } from "../errors.js";
import { processAlive } from "../util/process-alive.js";
import { isOtherProcess, type ProcessIdentity, processIdentity } from "./process-identity.js";

const LOCK_FILE = ".digit.lock";

/** What a lock file says about its holder (every field optional: older digit versions wrote only pid and started). */
interface LockHolder extends ProcessIdentity {
  pid: number;
  host?: string;
  /** When the lock was taken (ISO time). */
  started?: string;
}

/**
 * Hold a task's output folder for this process: a lock file with our pid, host, start time and
 * boot id, created exclusively. A lock is taken over when its holder is gone: its pid is not alive,
 * or the pid is alive but belongs to another process (another start time or another boot: the pid
 * was reused). A lock from another host is never taken over (its process cannot be checked from
 * here). When the lock is held, OutputLockedError names the holder, the lock file and how to
 * remove it. Returns a release function.
 *
 * @example
 * const release = acquireLock("output/qa");
 * try { ... } finally { release(); }
 */
export function acquireLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    ...processIdentity(process.pid),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: "wx" });
      return () => {
        try {
          if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readHolder(file);
      if (holder && isHeld(holder, me)) throw lockedError(dir, file, holder);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw lockedError(dir, file, readHolder(file) ?? { pid: -1 });
}

/** Whether the process a lock file names still holds it. */
function isHeld(holder: LockHolder, me: LockHolder): boolean {
  if (holder.host !== undefined && holder.host !== me.host) return true;
  if (holder.pid === process.pid) return false;
  return processAlive(holder.pid) && !isOtherProcess(holder.pid, holder);
}

function lockedError(dir: string, file: string, holder: LockHolder): OutputLockedError {
  return new OutputLockedError(dir, holder.pid, { file, host: holder.host, since: holder.started });
}

/** The holder a lock file names; undefined when it is unreadable or names no pid (a torn write: stale). */
function readHolder(file: string): LockHolder | undefined {
  try {
    const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const pid = Number(raw.pid);
    if (!Number.isInteger(pid)) return undefined;
    const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
    const holder: LockHolder = { pid };
    const host = text(raw.host);
    const started = text(raw.started);
    const startTicks = text(raw.startTicks);
    const boot = text(raw.bootId);
    if (host !== undefined) holder.host = host;
    if (started !== undefined) holder.started = started;
    if (startTicks !== undefined) holder.startTicks = startTicks;
    if (boot !== undefined) holder.bootId = boot;
    return holder;
  } catch {
    return undefined;
  }
}
