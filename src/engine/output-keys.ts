import { positionOf } from "../config/source-map.js";
import { ConfigError, DigitError, type ErrorLocation } from "../errors.js";
import { outputFormatOf } from "../stores/formats/index.js";
import { isObj, type Obj } from "../util/mapping.js";
import { checkOutputName, checkOwnFolder } from "../util/output-names.js";

/** Datastore keys of a task whose settings decide where and how files are written. */
const DATASTORE_KEYS = [
  "seed_datastore",
  "datastore",
  "final_datastore",
  "formatted_datastore",
  "data",
] as const;

/** Datastore types whose `output_data_format` is digit's own (others may define it their way). */
const BUILT_IN_FORMAT_USERS = new Set(["default", "multi_target"]);

/**
 * Check every key of a task (as read from its file) that becomes a path or a file format of its
 * output, so that a bad value is refused before any output is touched:
 * - `store_name` (top level or in `datastore`) names the task's folder below the output folder:
 *   the same rules as `task_name` (relative, no `..` out, a valid file name);
 * - `output_dir` of any datastore (including `multi_target` children) and of `runner_config`:
 *   absolute is taken as written, relative must not climb out of the working directory;
 * - `output_data_format` of the built-in datastores: one supported format (not a list).
 *
 * @example
 * checkOutputKeys(task.raw, task.file, { outputDirFromCli: false });
 */
export function checkOutputKeys(
  raw: Obj,
  file: string | undefined,
  o: { outputDirFromCli: boolean },
): void {
  const at = (obj: unknown, key: string): ErrorLocation => ({ file, ...positionOf(obj, key) });
  const task = `task '${String(raw.task_name)}'`;
  const storeNameRule = { what: "store_name", base: "the output folder", example: "my_org/qa" };
  if (typeof raw.store_name === "string")
    checkOutputName(raw.store_name, storeNameRule, at(raw, "store_name"));
  if (
    isObj(raw.datastore) &&
    typeof raw.datastore.store_name === "string" &&
    typeof raw.store_name !== "string"
  ) {
    checkOutputName(
      raw.datastore.store_name,
      { ...storeNameRule, what: "datastore store_name" },
      at(raw.datastore, "store_name"),
    );
  }
  const runner = raw.runner_config;
  if (!o.outputDirFromCli && isObj(runner) && typeof runner.output_dir === "string") {
    checkOwnFolder(
      runner.output_dir,
      `${task}: runner_config output_dir`,
      at(runner, "output_dir"),
    );
  }
  for (const key of DATASTORE_KEYS)
    if (isObj(raw[key])) checkDatastore(raw[key], `${task}: ${key}`, at);
}

function checkDatastore(
  ds: Obj,
  where: string,
  at: (obj: unknown, key: string) => ErrorLocation,
): void {
  if (typeof ds.output_dir === "string")
    checkOwnFolder(ds.output_dir, `${where} output_dir`, at(ds, "output_dir"));
  const type = typeof ds.type === "string" ? ds.type : "default";
  if ("output_data_format" in ds && BUILT_IN_FORMAT_USERS.has(type)) {
    try {
      outputFormatOf(ds.output_data_format);
    } catch (e) {
      if (!(e instanceof DigitError)) throw e;
      throw new ConfigError(`${where}: ${e.message}`, {
        ...at(ds, "output_data_format"),
        hint: e.hint,
      });
    }
  }
  if (type !== "multi_target") return;
  if (isObj(ds.primary)) checkDatastore(ds.primary, `${where} primary`, at);
  if (Array.isArray(ds.additional)) {
    ds.additional.forEach((c, i) => {
      if (isObj(c)) checkDatastore(c, `${where} additional[${i}]`, at);
    });
  }
}
