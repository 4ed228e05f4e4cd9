/**
 * Reading any supported data file by its extension. Parquet (and its Arrow/wasm dependencies,
 * slow to import) and CSV are loaded only when such a file is read.
 */
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { ConfigError, DataFileError } from "../../errors.js";
import { checkDataFile } from "./file-kind.js";
import { readJsonFile } from "./json.js";
import { readJsonlBatches } from "./jsonl.js";
import { readTextRows } from "./text.js";
import { describeBytes, flatten, MAX_WHOLE_FILE_BYTES, type ReadOptions } from "./types.js";
import { readYamlRows } from "./yaml.js";

/** Extensions digit reads (a `.parquet` folder of part files counts as `.parquet`). */
export const INPUT_EXTENSIONS = [
  ".jsonl",
  ".json",
  ".yaml",
  ".yml",
  ".csv",
  ".parquet",
  ".txt",
  ".md",
] as const;

/** Output formats a store can write. */
export const OUTPUT_FORMATS = ["jsonl", "parquet", "csv", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The output format an `output_data_format` value names (default `jsonl`; a leading dot and case
 * are ignored). Anything else — another format, a list, a number — is a ConfigError, so that a
 * task is refused before its output folder is touched.
 *
 * @example
 * outputFormatOf(".Parquet") // "parquet"
 * outputFormatOf(["parquet"]) // throws: one format, not a list
 */
export function outputFormatOf(value: unknown): OutputFormat {
  if (value === undefined || value === null) return "jsonl";
  const use = `use one of ${OUTPUT_FORMATS.join(", ")}`;
  if (Array.isArray(value)) {
    const one =
      value.length === 1 && typeof value[0] === "string"
        ? `output_data_format: ${value[0]}`
        : undefined;
    throw new ConfigError("output_data_format must be one format, not a list", {
      hint: one ? `write ${one} (without the brackets)` : use,
    });
  }
  if (typeof value !== "string")
    throw new ConfigError(
      `output_data_format must be a format name, not ${JSON.stringify(value)}`,
      { hint: use },
    );
  const format = value.replace(/^\./, "").toLowerCase();
  if ((OUTPUT_FORMATS as readonly string[]).includes(format)) return format as OutputFormat;
  throw new ConfigError(`output_data_format '${format}' is not supported`, {
    hint: `${use}${format === "yaml" || format === "yml" ? " (DiGiT cannot write YAML either)" : ""}`,
  });
}

/** The lowercase extension of a data file, with its dot. */
export function extensionOf(file: string): string {
  return extname(file).toLowerCase();
}

/**
 * Stream the rows of one data file (or Parquet folder), from `options.skip` on. Anything but a
 * regular file (a FIFO, a device, a socket) is refused before it is opened.
 *
 * @example
 * for await (const row of readDataFile("data/seeds.yaml")) console.log(row);
 */
export function readDataFile(
  file: string,
  options: ReadOptions = {},
): AsyncIterableIterator<unknown> {
  return flatten(readDataBatches(file, options));
}

async function* inBatches(rows: AsyncIterable<unknown>, size = 1000): AsyncGenerator<unknown[]> {
  let batch: unknown[] = [];
  for await (const r of rows) {
    batch.push(r);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** Formats read into memory whole (the others stream). */
const WHOLE_FILE = new Set([".json", ".yaml", ".yml", ".txt", ".md"]);

/**
 * The rows of one data file (or Parquet folder) in batches, from `options.skip` on: what
 * `readDataFile` hands out one by one.
 *
 * @example
 * for await (const batch of readDataBatches("data/seeds.jsonl")) console.log(batch.length);
 */
export async function* readDataBatches(
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<unknown[]> {
  const ext = extensionOf(file);
  const skip = options.skip ?? 0;
  const st = await checkDataFile(file, ext === ".parquet");
  if (WHOLE_FILE.has(ext) && st.size > MAX_WHOLE_FILE_BYTES) {
    throw new DataFileError(
      `data file is ${describeBytes(st.size)}; ${ext} files are read whole, up to ${describeBytes(MAX_WHOLE_FILE_BYTES)}`,
      {
        file,
        hint: "convert it to .jsonl (read as a stream, one record per line), or split it",
      },
    );
  }
  switch (ext) {
    case ".jsonl":
      yield* readJsonlBatches(file, options);
      return;
    case ".csv": {
      const { readCsv } = await import("./csv.js");
      yield* inBatches(readCsv(file, options));
      return;
    }
    case ".json":
      yield (await readJsonFile(file)).slice(skip);
      return;
    case ".yaml":
    case ".yml":
      yield (await readYamlRows(file)).slice(skip);
      return;
    case ".txt":
    case ".md":
      yield (await readTextRows(file)).slice(skip);
      return;
    case ".parquet": {
      const { readParquetBatches, readParquetFolderBatches } = await import("./parquet/index.js");
      const isDir = await stat(file).then(
        (s) => s.isDirectory(),
        () => false,
      );
      yield* isDir
        ? readParquetFolderBatches(file, skip, options.batchSize)
        : readParquetBatches(file, { skip, batchSize: options.batchSize });
      return;
    }
    default:
      throw new DataFileError(`unhandled data format '${ext || "(no extension)"}'`, {
        file,
        hint: `use one of ${INPUT_EXTENSIONS.join(", ")}, or filter the files with data_formats`,
      });
  }
}
