import { stat } from "node:fs/promises";
import { DataFileError, MissingFileError } from "../../errors.js";
import { fastGlob } from "../../util/fast-glob.js";
import { notRegularFile, specialKind } from "../formats/file-kind.js";
import { extensionOf, INPUT_EXTENSIONS } from "../formats/index.js";

const GLOB = /[*?[{]/;

function keep(file: string, formats: readonly string[] | undefined): boolean {
  if (!formats?.length) return (INPUT_EXTENSIONS as readonly string[]).includes(extensionOf(file));
  // DiGiT keeps names that end with any listed string, so "jsonl" and ".jsonl" both work.
  return formats.some((f) => file.endsWith(f));
}

/**
 * The files a `data_path` entry names, in sorted order: a file; a folder (every data file below
 * it; a `*.parquet` folder is one Parquet dataset); or a glob (`**` allowed). `data_formats`
 * filters folder and glob matches by name ending. Nothing found is an error naming the path, and
 * so is a match that is not a regular file (a FIFO, a device, a socket: see `file-kind.ts`).
 *
 * @example
 * await expandDataPath("data/seeds/*.jsonl") // ["data/seeds/a.jsonl", "data/seeds/b.jsonl"]
 */
export async function expandDataPath(path: string, formats?: readonly string[]): Promise<string[]> {
  if (!GLOB.test(path)) {
    const st = await stat(path).catch(() => undefined);
    if (!st)
      throw new MissingFileError(path, "data file", {
        hint: "check data_path (relative paths are relative to the current directory)",
      });
    const special = specialKind(st);
    if (special) throw notRegularFile(path, special);
    if (st.isFile() || extensionOf(path) === ".parquet") return [path];
    return matches(`${fastGlob().convertPathToPattern(path)}/**/*`, path, formats);
  }
  return matches(path, path, formats);
}

async function matches(
  pattern: string,
  shown: string,
  formats: readonly string[] | undefined,
): Promise<string[]> {
  const found = await fastGlob()(pattern, {
    onlyFiles: false,
    markDirectories: true,
    dot: false,
    followSymbolicLinks: true,
  });
  // Files, plus `.parquet` folders (Parquet datasets); never the part files inside such a folder.
  const parquetDirs = found.filter((f) => f.endsWith(".parquet/"));
  const files = found
    .filter((f) => !f.endsWith("/") || f.endsWith(".parquet/"))
    .map((f) => (f.endsWith("/") ? f.slice(0, -1) : f))
    .filter((f) => !parquetDirs.some((d) => f.startsWith(d)));
  const kept = files.filter((f) => keep(f, formats)).sort();
  if (kept.length === 0) {
    const filtered = files.length > 0;
    throw new DataFileError(
      `no data file matches data_path '${shown}'${filtered ? ` (${files.length} file(s) matched but none ${formats?.length ? `ends with ${formats.join(" or ")}` : "has a supported extension"})` : ""}`,
      {
        hint: filtered
          ? "check data_formats"
          : "check the path and the pattern; globs are matched relative to the current directory",
      },
    );
  }
  // A glob or folder may hold a FIFO or a link to a device: refuse it here, before any reading.
  for (const f of kept) {
    const special = await stat(f).then(specialKind, () => undefined);
    if (special) throw notRegularFile(f, special);
  }
  return kept;
}
