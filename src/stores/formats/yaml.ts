import { readFile } from "node:fs/promises";
import { parseYaml } from "../../config/yaml.js";
import { DataFileError } from "../../errors.js";

/**
 * The rows of a YAML file: the list's elements, or the single document (an empty file has none).
 *
 * @example
 * const rows = await readYamlRows("seeds.yaml");
 */
export async function readYamlRows(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new DataFileError(`cannot read data file: ${(e as Error).message}`, { file });
  }
  const value = parseYaml(text, file);
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
