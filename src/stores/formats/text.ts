import { readFile } from "node:fs/promises";
import { DataFileError } from "../../errors.js";

/**
 * A `.txt` or `.md` file as one record `{ text, path }`. DiGiT yields the bare string; digit
 * yields a record so that it fits the dataloaders and tasks (which need records), and a builder
 * that reads documents finds the text under `text`.
 *
 * @example
 * const [doc] = await readTextRows("docs/intro.md"); // { text: "# Intro…", path: "docs/intro.md" }
 */
export async function readTextRows(file: string): Promise<Record<string, unknown>[]> {
  try {
    return [{ text: await readFile(file, "utf8"), path: file }];
  } catch (e) {
    throw new DataFileError(`cannot read data file: ${(e as Error).message}`, { file });
  }
}
