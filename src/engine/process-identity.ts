import { readFileSync } from "node:fs";

/**
 * What tells one process apart from a later process that got the same pid: its start time in clock
 * ticks since boot (field 22 of /proc/<pid>/stat) and the kernel's boot id. Both are read from
 * /proc, so they exist on Linux only; elsewhere they are undefined and callers fall back to the
 * pid alone.
 */
export interface ProcessIdentity {
  /** Start time of the process in clock ticks since boot, as a decimal string (Linux). */
  startTicks?: string;
  /** /proc/sys/kernel/random/boot_id: changes on every boot (Linux). */
  bootId?: string;
}

/**
 * The start time of process `pid` in clock ticks since boot, or undefined when it cannot be read
 * (not Linux, no such process, /proc hidden).
 *
 * @example
 * processStartTicks(process.pid) // "19960"
 */
export function processStartTicks(pid: number, procRoot = "/proc"): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 (the command name) is in parentheses and may itself hold spaces and ')': the fields
  // after the last ')' start at field 3, so field 22 is the 20th of them.
  const rest = stat
    .slice(stat.lastIndexOf(")") + 1)
    .trim()
    .split(/\s+/);
  const ticks = rest[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

/**
 * The boot id of the running kernel, or undefined when it cannot be read (not Linux).
 *
 * @example
 * bootId() // "989ef098-5592-4faf-bb98-be39136cfe7c"
 */
export function bootId(procRoot = "/proc"): string | undefined {
  try {
    const id = readFileSync(`${procRoot}/sys/kernel/random/boot_id`, "utf8").trim();
    return id || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The identity of process `pid` now, with only the parts this system can tell.
 *
 * @example
 * processIdentity(process.pid) // { startTicks: "19960", bootId: "989ef098-…" }
 */
export function processIdentity(pid: number, procRoot = "/proc"): ProcessIdentity {
  const startTicks = processStartTicks(pid, procRoot);
  const boot = bootId(procRoot);
  return {
    ...(startTicks === undefined ? {} : { startTicks }),
    ...(boot === undefined ? {} : { bootId: boot }),
  };
}

/**
 * Whether a live process with pid `pid` can be shown to be a different process from the one whose
 * identity was recorded as `recorded`: another boot, or another start time. False when nothing
 * tells them apart (a part missing on either side counts as "cannot tell").
 *
 * @example
 * isOtherProcess(1234, { startTicks: "500", bootId: "…" }) // true when pid 1234 started at another tick
 */
export function isOtherProcess(
  pid: number,
  recorded: ProcessIdentity,
  procRoot = "/proc",
): boolean {
  const now = processIdentity(pid, procRoot);
  if (recorded.bootId !== undefined && now.bootId !== undefined && recorded.bootId !== now.bootId)
    return true;
  return (
    recorded.startTicks !== undefined &&
    now.startTicks !== undefined &&
    recorded.startTicks !== now.startTicks
  );
}
