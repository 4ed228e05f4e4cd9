import { relative, resolve, sep } from "node:path";
import { isDigitError, OutputWriteError } from "../errors.js";

/** The system errors that mean "this folder cannot be written", what they mean, and the fix. */
const UNWRITABLE: Record<string, { problem: string; hint: string; onlyInside: boolean }> = {
  ENOSPC: {
    problem: "no space left on the device",
    hint: "free space on that disk, or pass --output-dir on another disk; then run the same command again: it resumes from the last checkpoint",
    onlyInside: false,
  },
  EDQUOT: {
    problem: "the disk quota is exhausted",
    hint: "free space or raise the quota, or pass --output-dir elsewhere; then run the same command again: it resumes from the last checkpoint",
    onlyInside: false,
  },
  EROFS: {
    problem: "the file system is read-only",
    hint: "pass --output-dir pointing at a writable disk",
    onlyInside: false,
  },
  EACCES: {
    problem: "permission denied",
    hint: "make the folder writable for this user, or pass another --output-dir",
    onlyInside: true,
  },
  EPERM: {
    problem: "operation not permitted",
    hint: "make the folder writable for this user, or pass another --output-dir",
    onlyInside: true,
  },
};

/**
 * Turn a system error from writing output into an `OutputWriteError` naming the folder: the
 * output folder among `folders` that holds the failing path, else the first. Disk-full, quota
 * and read-only errors always qualify; permission errors only for a path inside one of the
 * folders (elsewhere they are about something else, such as an input file). Anything else,
 * DigitErrors included, is returned unchanged.
 *
 * @example
 * catch (e) { throw asOutputWriteError(e, ["output/qa"]); }
 */
export function asOutputWriteError(e: unknown, folders: readonly string[]): unknown {
  if (isDigitError(e) || !(e instanceof Error)) return e;
  const { code, path } = e as NodeJS.ErrnoException;
  const kind = code === undefined ? undefined : UNWRITABLE[code];
  if (!kind || folders.length === 0) return e;
  const at = typeof path === "string" ? resolve(path) : undefined;
  const holder = at === undefined ? undefined : folders.find((f) => inside(at, resolve(f)));
  if (kind.onlyInside && holder === undefined) return e;
  return new OutputWriteError(holder ?? folders[0]!, code!, kind.problem, at, kind.hint, e);
}

function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}
