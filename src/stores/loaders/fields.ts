import { ConfigError, DataFileError } from "../../errors.js";
import { isObj, type Row } from "../../util/mapping.js";
import { getPath, parsePath, setPath } from "../../util/paths.js";

/**
 * A dataloader's `fields` remapping `{source_path: dest_path}` (DiGiT semantics): without
 * `fields`, or with exactly `{"*": "*"}`, rows pass unchanged; otherwise the output starts empty
 * (or as a shallow copy of the row when `"*": "*"` is present) and each pair copies the value at
 * the source path to the destination path; sources are not removed.
 *
 * Rows that are not records (lists from a header-less CSV) are seen as `{ value: row }`, so
 * `fields: { "value[0]": question }` picks their cells.
 *
 * @example
 * const remap = fieldRemapper({ "*": "*", text: "content" });
 * remap({ text: "hi" }, "seeds.jsonl", 1) // { text: "hi", content: "hi" }
 */
export function fieldRemapper(
  fields: unknown,
): (value: unknown, source: string, rowNumber: number) => Row {
  if (
    fields !== undefined &&
    fields !== null &&
    (typeof fields !== "object" || Array.isArray(fields))
  ) {
    throw new ConfigError("dataloader fields must be a mapping of source path to destination path");
  }
  const map = (fields ?? {}) as Record<string, unknown>;
  const pairs = Object.entries(map).filter(([src]) => src !== "*");
  for (const [src, dest] of pairs) {
    if (typeof dest !== "string")
      throw new ConfigError(`dataloader fields: the destination of '${src}' must be a path string`);
    try {
      parsePath(src);
      parsePath(dest);
    } catch (e) {
      throw new ConfigError(`dataloader fields: ${(e as Error).message}`);
    }
  }
  const keepAll = "*" in map;
  const identity =
    pairs.length === 0 &&
    (keepAll || fields === undefined || fields === null || Object.keys(map).length === 0);
  return (value, source, rowNumber) => {
    const row: Row = isObj(value) ? value : { value };
    if (identity) return row;
    const out: Row = keepAll ? { ...row } : {};
    for (const [src, dest] of pairs) {
      let v: unknown;
      try {
        v = getPath(row, src, true);
      } catch (e) {
        throw new DataFileError(
          `record ${rowNumber} of ${source} has no field '${src}' (${(e as Error).message})`,
          {
            hint: "fix the dataloader's fields mapping, or the data",
          },
        );
      }
      setPath(out, dest as string, v);
    }
    return out;
  };
}
