import { lstat, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { OutputOutsideError } from "../errors.js";

/** True when `path` is `root` or below it (both absolute and normalised). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

const HINT =
  "remove the link (or point it inside the output folder), or choose another output folder";

/**
 * Refuse to write `file` unless the write stays inside `root`: `file` must lie below `root`, and
 * neither it nor any folder between `root` and it may be a symbolic link that resolves outside
 * `root` (or to nothing, since creating through such a link would write elsewhere). `root` itself
 * may be a link: it is the folder the user chose. Call it before opening, truncating, removing or
 * renaming over an output file, so a planted link cannot make digit overwrite a foreign file.
 *
 * @example
 * await assertInsideOutput("output", "output/qa/data.jsonl"); // throws if output/qa links to /etc
 */
export async function assertInsideOutput(root: string, file: string): Promise<void> {
  const base = resolve(root);
  const target = resolve(file);
  if (!within(base, target)) {
    throw new OutputOutsideError(`'${file}' is outside the output folder '${root}'`, {
      file,
      hint: "write below the output folder",
    });
  }
  const realBase = await realpath(base).catch(() => undefined);
  // No output folder yet: nothing below it exists, so nothing below it can be a link.
  if (realBase === undefined) return;
  let at = base;
  for (const segment of relative(base, target).split(sep).filter(Boolean)) {
    at = join(at, segment);
    const st = await lstat(at).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT" || e.code === "ENOTDIR") return undefined;
      throw e;
    });
    if (!st) return;
    if (!st.isSymbolicLink()) continue;
    const real = await realpath(at).catch(() => undefined);
    if (real === undefined || !within(realBase, real)) {
      const where = real === undefined ? "a target that does not exist" : `'${real}'`;
      const what = at === target ? `'${at}'` : `'${at}' (a folder on the way to '${file}')`;
      throw new OutputOutsideError(
        `${what} is a symbolic link to ${where}, outside the output folder '${root}'; digit does not write through it`,
        { file: at, hint: HINT },
      );
    }
  }
}
