/**
 * Parquet support, imported lazily (`await import(...)`) because Arrow and the Parquet wasm
 * module take a few hundred milliseconds to load.
 *
 * @example
 * const { ParquetParts } = await import("./formats/parquet/index.js");
 */
export {
  encodeParquet,
  parquetRowCount,
  readParquetBatches,
  readParquetFile,
  writeParquetStream,
} from "./file.js";
export {
  listParts,
  ParquetParts,
  partName,
  readParquetFolder,
  readParquetFolderBatches,
} from "./parts.js";
