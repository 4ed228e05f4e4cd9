import type { Row } from "../../blocks/block.js";
import type { RunPlan } from "../../engine/plan.js";
import { DataFileError, isDigitError } from "../../errors.js";
import type { DatastoreConfig } from "../../stores/datastore.js";
import { createDatastore } from "../../stores/factory.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The input stores of a task that read local files: `seed_datastore` and a transformation's
 * `data:` mapping, when they are `default` stores with a `data_path`. They are configured as the
 * task would configure them, but without `output_dir` or `restart`, so reading writes nothing.
 */
function inputStores(spec: Row): DatastoreConfig[] {
  const out: DatastoreConfig[] = [];
  const name = String(spec.task_name);
  for (const [key, suffix] of [["seed_datastore", "seed_data"], ["data", "transformation_data"]] as const) {
    const ds = spec[key];
    if (!isObj(ds) || (ds.type ?? "default") !== "default" || ds.data_path === undefined || ds.data_path === null) continue;
    const { output_dir: _o, restart: _r, data: _d, ...rest } = ds;
    out.push({ ...rest, type: "default", store_name: `${name}/${suffix}` });
  }
  return out;
}

/**
 * Read every seed and input data file of every task of a plan to its end, with the store's own
 * reading options (`on_bad_record`, CSV settings), so that `digit validate` reports a file that
 * would stop the run — a bad JSON line, a ragged CSV row — with its file and line. A failure the
 * reader does not describe itself is reported naming the file. Stores in `done` (by config) are
 * skipped; each store read without error is added to it.
 *
 * @example
 * await readInputData(plan); // throws DataFileError("line 3 is not valid JSON: ...", { file, line: 3 })
 */
export async function readInputData(plan: RunPlan, done: Set<string> = new Set()): Promise<void> {
  for (const group of plan.groups) {
    for (const task of group.tasks) {
      for (const config of inputStores(task.spec)) {
        // validate checks each task file alone and then all together: read each store once.
        const key = JSON.stringify(config);
        if (done.has(key)) continue;
        const store = await createDatastore(plan.registry, config);
        try {
          for (const source of await store.sources()) {
            try {
              for await (const _row of source.rows()) {
                // Reading is the check: every row must parse.
              }
            } catch (e) {
              if (isDigitError(e)) throw e;
              throw new DataFileError(`cannot read data file: ${e instanceof Error ? e.message : String(e)}`, { file: source.label, hint: "check that the file is complete and in the format its extension says", cause: e });
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
