import { stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { MissingFileError, OutputOutsideError, UsageError } from "../errors.js";
import { extensionOf } from "../stores/formats/index.js";
import { assertInsideOutput } from "../util/output-containment.js";

const READABLE = [".jsonl", ".csv", ".parquet", ".json"];

/**
 * The absolute path of a record file a studio request names, relative to the output folder:
 * refused unless it is a record file (JSONL, CSV, Parquet, JSON) that lies below the output
 * folder and is not reached through a symbolic link leading out of it. `..`, absolute paths and
 * NUL bytes are refused before the file system is touched.
 *
 * @example
 * await confinedRecordFile("output", "qa/final_data.jsonl") // "/abs/output/qa/final_data.jsonl"
 * await confinedRecordFile("output", "../etc/passwd") // throws OutputOutsideError
 */
export async function confinedRecordFile(root: string, requested: string): Promise<string> {
  if (!requested || requested.includes("\0"))
    throw new UsageError("the 'file' parameter is missing or holds a NUL byte", {
      hint: "name a record file relative to the output folder",
    });
  if (isAbsolute(requested) || requested.split(/[\\/]/).includes("..")) {
    throw new OutputOutsideError(`'${requested}' is outside the output folder`, {
      hint: "name a file relative to the output folder, without '..'",
    });
  }
  const file = resolve(root, requested);
  await assertInsideOutput(root, file);
  if (!READABLE.includes(extensionOf(file))) {
    throw new UsageError(`'${requested}' is not a record file`, {
      hint: `the studio shows ${READABLE.join(", ")} files`,
    });
  }
  const st = await stat(file).catch(() => undefined);
  if (!st || !(st.isFile() || (st.isDirectory() && extensionOf(file) === ".parquet")))
    throw new MissingFileError(requested, "record file");
  return file;
}
