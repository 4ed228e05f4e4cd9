/**
 * Whether a process with this id exists on this machine (one we may not signal counts: EPERM).
 *
 * @example
 * processAlive(process.pid) // true
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
