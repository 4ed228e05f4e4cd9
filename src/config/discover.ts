import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname, relative, resolve } from "node:path";
import { ConfigError, MissingFileError } from "../errors.js";
import { closest } from "../util/did-you-mean.js";
import { fastGlob } from "../util/fast-glob.js";
import { filesBelow } from "../util/files-below.js";

const TASK_FILE_NAMES = ["task.yaml", "qna.yaml"];

/**
 * Turn the task arguments of `digit run` (files, folders, globs) into a sorted, de-duplicated list
 * of task files. A folder means every `task.yaml`/`qna.yaml` below it. Empty files are skipped
 * with a warning.
 *
 * @example
 * discoverTaskFiles(["tasks/public/examples"], process.cwd())
 */
export function discoverTaskFiles(
  args: readonly string[],
  cwd: string,
  warn: (m: string) => void = () => {},
): string[] {
  const files = new Set<string>();
  for (const arg of args) {
    const abs = resolve(cwd, arg);
    if (existsSync(abs)) {
      if (statSync(abs).isDirectory()) {
        const found = filesBelow(abs, (name) =>
          (TASK_FILE_NAMES as readonly string[]).includes(name),
        );
        if (found.length === 0)
          throw new ConfigError(`folder '${arg}' has no task.yaml or qna.yaml below it`, {
            hint: "task files found in folders must be named task.yaml or qna.yaml; pass other YAML files by name",
          });
        for (const f of found) files.add(f);
      } else {
        checkYaml(arg);
        files.add(abs);
      }
    } else if (/[*?[{]/.test(arg)) {
      const found = fastGlob()
        .sync(arg, { cwd, absolute: true, onlyFiles: true })
        .filter((f) => /\.ya?ml$/.test(f));
      if (found.length === 0)
        throw new ConfigError(`no YAML file matches '${arg}'`, {
          hint: "check the pattern; quote it so the shell does not expand it",
        });
      for (const f of found) files.add(f);
    } else {
      throw new MissingFileError(arg, "task path", {
        hint: "pass a task YAML file, a folder of them, or a quoted glob",
      });
    }
  }
  return [...files].sort().filter((f) => {
    if (readFileSync(f, "utf8").trim() === "") {
      warn(`skipping ${relative(cwd, f)} because it is empty`);
      return false;
    }
    return true;
  });
}

function checkYaml(arg: string): void {
  const ext = extname(arg);
  if (ext !== ".yaml" && ext !== ".yml") {
    const near = closest(basename(arg), TASK_FILE_NAMES);
    throw new ConfigError(`task file '${arg}' is not a YAML file`, {
      file: arg,
      hint: `pass a .yaml task file${near ? ` (like ${near})` : ""}`,
    });
  }
}
