/**
 * `.json` files: an array of records (or one record). Read whole; written whole and atomically,
 * one record per line so diffs stay readable. An append rewrites the file, so JSON suits small
 * outputs (final data); large or long-running stores should use JSONL.
 */
import { readFile } from "node:fs/promises";
import { DataFileError } from "../../errors.js";
import { TextSink, writeAtomic } from "./atomic.js";
import { toJson } from "./types.js";

/**
 * The rows of a JSON file: the array's elements, or the single value.
 *
 * @example
 * const rows = await readJsonFile("seeds.json");
 */
export async function readJsonFile(file: string): Promise<unknown[]> {
  const text = await readText(file);
  if (!text.trim()) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DataFileError(`not valid JSON: ${(e as Error).message}`, {
      file,
      line: lineOfPosition(text, (e as Error).message),
      hint: "fix the JSON, or use .jsonl for one record per line",
    });
  }
  return Array.isArray(value) ? value : [value];
}

/**
 * Write rows as a JSON array, atomically.
 *
 * @example
 * await writeJsonFile("out/final_data.json", rows);
 */
export async function writeJsonFile(
  file: string,
  rows: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<void> {
  await writeAtomic(file, async (h) => {
    const sink = new TextSink(h);
    let first = true;
    await sink.push("[");
    for await (const r of rows) {
      await sink.push((first ? "\n" : ",\n") + toJson(r));
      first = false;
    }
    await sink.push(first ? "]\n" : "\n]\n");
    await sink.flush();
  });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new DataFileError(`cannot read data file: ${(e as Error).message}`, { file });
  }
}

/** V8 reports "... in JSON at position N"; turn N into a line number. */
function lineOfPosition(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (!m) return undefined;
  const pos = Number(m[1]);
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
