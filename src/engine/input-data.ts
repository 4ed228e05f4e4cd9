import { DataFileError, type DigitError, isDigitError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import type { DatastoreConfig } from "../stores/datastore.js";
import { createDatastore } from "../stores/factory.js";
import type { Row } from "../util/mapping.js";
import { isObj } from "../util/mapping.js";
import type { PlannedGroup } from "./plan.js";

/** Which stores to read: seeds (`seed_datastore`, small, read while planning every run) or a transformation's input (`data`). */
export type InputKind = "seeds" | "inputs";

/**
 * The stores of a task of one kind that read local files (`default` stores with a `data_path`). They are
 * configured as the task would configure them, but without `output_dir` or `restart`, so reading
 * writes nothing.
 */
function inputStores(spec: Row, kind: InputKind): DatastoreConfig[] {
  const [key, suffix] =
    kind === "seeds" ? ["seed_datastore", "seed_data"] : ["data", "transformation_data"];
  const ds = spec[key];
  if (
    !isObj(ds) ||
    (ds.type ?? "default") !== "default" ||
    ds.data_path === undefined ||
    ds.data_path === null
  )
    return [];
  const { output_dir: _o, restart: _r, data: _d, ...rest } = ds;
  return [{ ...rest, type: "default", store_name: `${String(spec.task_name)}/${suffix}` }];
}

/**
 * Read the seed or input data files of every task of a plan to their end, with the
 * store's own reading options (`on_bad_record`, CSV settings), so that a file that would stop the
 * run — a bad JSON line, a ragged CSV row — is reported with its file and line, and the task file
 * that names it, before any output is written. A failure the reader does not describe itself is
 * reported naming the file. Stores in `done` (by config) are skipped; each store read without
 * error is added to it.
 *
 * @example
 * await readInputData(plan.registry, plan.groups, "seeds"); // throws DataFileError("task 'qa' (tasks/qa.yaml): line 3 is not valid JSON: ...", { file, line: 3 })
 */
export async function readInputData(
  registry: Registry,
  groups: readonly PlannedGroup[],
  kind: InputKind,
  done: Set<string> = new Set(),
): Promise<void> {
  for (const group of groups) {
    for (const task of group.tasks) {
      for (const config of inputStores(task.spec, kind)) {
        // validate checks each task file alone and then all together: read each store once.
        const key = JSON.stringify(config);
        if (done.has(key)) continue;
        const store = await createDatastore(registry, config);
        try {
          for (const source of await store.sources()) {
            try {
              for await (const _row of source.rows()) {
                // Reading is the check: every row must parse.
              }
            } catch (e) {
              const where = `task '${String(task.spec.task_name)}'${task.file ? ` (${task.file})` : ""}`;
              if (isDigitError(e)) throw namingTask(e, where);
              throw new DataFileError(
                `${where}: cannot read data file: ${e instanceof Error ? e.message : String(e)}`,
                {
                  file: source.label,
                  hint: "check that the file is complete and in the format its extension says",
                  cause: e,
                },
              );
            }
          }
        } finally {
          await store.close();
        }
        done.add(key);
      }
    }
  }
}

/** The reader's own error, its message prefixed with the task that reads the file. */
function namingTask(e: DigitError, where: string): DigitError {
  if (e.code !== "DIGIT_DATA_FILE") return e;
  return new DataFileError(`${where}: ${e.message}`, {
    file: e.file,
    line: e.line,
    hint: e.hint,
    cause: e,
  });
}
