/**
 * Parquet support, imported lazily (`await import(...)`) because Arrow and the Parquet wasm
 * module take a few hundred milliseconds to load.
 *
 * @example
 * const { ParquetParts } = await import("./formats/parquet/index.js");
 */
export { parquetRowCount, readParquetBatches, readParquetFile, writeParquetStream, encodeParquet } from "./file.js";
export { listParts, partName, ParquetParts, readParquetFolder, readParquetFolderBatches } from "./parts.js";
