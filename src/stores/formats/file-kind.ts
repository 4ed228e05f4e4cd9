/**
 * Refusing data paths that are not regular files before anything opens them. Opening a FIFO for
 * reading blocks until some process writes to it (a run would hang for ever), a device such as
 * /dev/zero never ends, and /dev/null is almost always a mistake; so digit reads regular files
 * only (and folders: a data folder, or a Parquet dataset folder).
 */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { DataFileError, MissingFileError } from "../../errors.js";

/**
 * What a non-regular file is, in words ("a FIFO (named pipe)"); undefined for a regular file or
 * a folder.
 *
 * @example
 * specialKind(statSync("/dev/null")) // "a character device"
 */
export function specialKind(st: Stats): string | undefined {
  if (st.isFile() || st.isDirectory()) return undefined;
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * The error for a data path that names a special file.
 *
 * @example
 * throw notRegularFile("/dev/null", "a character device");
 */
export function notRegularFile(file: string, kind: string): DataFileError {
  return new DataFileError(`data file '${file}' is ${kind}, not a regular file`, {
    file,
    hint: "point data_path at data files or folders of them; digit does not read pipes, devices or sockets (for no seed data, leave data_path out)",
  });
}

/**
 * Check, without opening it, that `file` may be read as data: a regular file, or a folder where
 * `folderAllowed` (a Parquet dataset). Symbolic links are followed. Returns its stats.
 *
 * @example
 * await checkDataFile("seeds.jsonl");
 */
export async function checkDataFile(file: string, folderAllowed = false): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new MissingFileError(file, "data file", { file });
    throw new DataFileError(`cannot read data file: ${(e as Error).message}`, { file });
  }
  if (st.isDirectory() && !folderAllowed) {
    throw new DataFileError(`data file '${file}' is a folder`, {
      file,
      hint: "give the folder itself as data_path (its data files are read), or name a file",
    });
  }
  const kind = specialKind(st);
  if (kind) throw notRegularFile(file, kind);
  return st;
}
