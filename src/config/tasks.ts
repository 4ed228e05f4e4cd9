import { ConfigError } from "../errors.js";
import { closest } from "../util/did-you-mean.js";
import { isObj, type Obj } from "../util/mapping.js";
import { checkOutputName } from "../util/output-names.js";
import { expandAll } from "./env.js";
import { loadYamlWithIncludes, resolveIncludes } from "./include.js";
import { mergeTaskOverride } from "./merge.js";
import { type OverrideFile, overrideFileSchema } from "./schemas.js";
import { positionOf } from "./source-map.js";
import { readYamlFile } from "./yaml.js";
import { kindOf, parseWith } from "./zod-errors.js";

/** A task as read from its file, with overrides applied, not yet checked against its builder. */
export interface TaskSource {
  readonly file: string | undefined;
  readonly raw: Obj;
}

/**
 * Load a DiGiT `--config-path` override file (keys `task_files`, `tasks`, `databuilders`).
 *
 * @example
 * const override = loadOverrideFile("configs/public/examples/openai_qa.yaml");
 */
export function loadOverrideFile(file: string): OverrideFile {
  const raw = expandAll(readYamlFile(file, "override file (--config-path)"));
  if (raw === null) return {};
  if (!isObj(raw))
    throw new ConfigError(
      "an override file must be a mapping with 'task_files', 'tasks' and/or 'databuilders'",
      { file },
    );
  const parsed = parseWith(overrideFileSchema, raw, "override file", file);
  // Task overrides go through include processing relative to the working directory (as DiGiT does).
  if (parsed.tasks)
    for (const [k, v] of Object.entries(parsed.tasks))
      if (v) parsed.tasks[k] = resolveIncludes(v, undefined) as Obj;
  return parsed;
}

/**
 * Read task files, apply `tasks:` overrides (shallow; `null` removes a key) and create tasks the
 * override names but no file defines (those with a `data_builder`; see skipPartialOverride).
 * Checks names: present, unique, and a safe relative path.
 *
 * @example
 * const tasks = loadTaskSources(files, override);
 */
export function loadTaskSources(
  files: readonly string[],
  override: OverrideFile = {},
  warn: (m: string) => void = () => {},
  overrideFile?: string,
): TaskSource[] {
  const out: TaskSource[] = [];
  const byName = new Map<string, TaskSource>();
  const overrides = override.tasks ?? {};
  for (const file of files) {
    const raw = loadYamlWithIncludes(file);
    if (raw === null || raw === undefined) {
      warn(`skipping ${file} because it is empty`);
      continue;
    }
    if (!isObj(raw))
      throw new ConfigError("a task file must be a mapping of keys to values", {
        file,
        line: positionOf(raw)?.line,
      });
    const name = raw.task_name;
    if (name === undefined || name === null || name === "")
      throw new ConfigError("task has no 'task_name'", {
        file,
        line: 1,
        hint: "add 'task_name: my/task' (it also names the output folder)",
      });
    if (typeof name !== "string") {
      throw new ConfigError(`task_name must be a string, not ${kindOf(name)}`, {
        file,
        line: positionOf(raw, "task_name")?.line ?? 1,
        hint: `quote it: task_name: "${typeof name === "object" ? "my/task" : String(name)}"`,
      });
    }
    const merged = overrides[name] ? mergeTaskOverride(raw, overrides[name]!) : raw;
    add({ file, raw: merged });
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (byName.has(name) || !value) continue;
    if (value.data_builder === undefined) {
      skipPartialOverride(name, overrides, byName, warn, overrideFile);
      continue;
    }
    warn(
      `task '${name}' in the override file was not found in task files; it is created from the override`,
    );
    add({ file: undefined, raw: { ...value, task_name: name } });
  }
  return out;

  function add(task: TaskSource): void {
    const name = String(task.raw.task_name);
    checkTaskName(name, task);
    const prev = byName.get(name);
    if (prev)
      throw new ConfigError(`two tasks are named '${name}'`, {
        file: task.file,
        hint: `the other is in ${prev.file ?? "the override file"}; rename one`,
      });
    if (typeof task.raw.data_builder !== "string" || !task.raw.data_builder) {
      throw new ConfigError(`task '${name}' has no 'data_builder'`, {
        file: task.file,
        line: positionOf(task.raw)?.line,
        hint: "add 'data_builder: <builder name>' (see `digit list builders`)",
      });
    }
    byName.set(name, task);
    out.push(task);
  }
}

/**
 * A `tasks:` entry of the override that names no task of the run and has no `data_builder` only
 * adjusts a task: one override file may serve a family of task files run one at a time (DiGiT
 * would create it as a task and fail). It is left out with a warning — unless a task of the run
 * without an entry of its own has a close name: then it is a typo, reported as an error.
 */
function skipPartialOverride(
  name: string,
  overrides: Record<string, Obj | null | undefined>,
  run: ReadonlyMap<string, TaskSource>,
  warn: (m: string) => void,
  file: string | undefined,
): void {
  const unmatched = [...run.keys()].filter((t) => !overrides[t]);
  const near = closest(name, unmatched);
  if (near)
    throw new ConfigError(
      `task '${name}' in the override file matches no task file of this run, and it has no ` +
        "'data_builder' to be created from",
      { file, hint: `did you mean '${near}'? rename the entry under 'tasks:'` },
    );
  warn(
    `task '${name}' in the override file is not among this run's task files and has no ` +
      "'data_builder': its settings are not used (they apply when its task file runs)",
  );
}

/**
 * A task name becomes a folder under the output folder: it must not climb out of it, and must be
 * a name every file system takes (see checkOutputName).
 */
function checkTaskName(name: string, task: TaskSource): void {
  const where = { file: task.file, line: positionOf(task.raw, "task_name")?.line };
  checkOutputName(
    name,
    { what: "task_name", base: "the output folder", example: "my_org/qa" },
    where,
  );
}
