import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { RunOptions } from "../../src/engine/options.js";
import { run } from "../../src/engine/run.js";
import { silentLogger } from "../../src/telemetry/logger.js";

export const FIXTURES = resolve(import.meta.dirname, "../fixtures/engine");
export const PLUGINS = join(FIXTURES, "plugins");
export const task = (name: string) => join(FIXTURES, "tasks", `${name}.yaml`);

/** A fresh output folder. */
export function tempDir(prefix = "digit-engine-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Run the engine in-process on fixture tasks. */
export function runFixture(
  options: Partial<RunOptions> & { taskPaths: string[]; outputDir: string },
) {
  return run({ pluginDirs: [PLUGINS], logger: silentLogger, cwd: FIXTURES, ...options });
}

/** Records of a JSONL file (empty when the file does not exist). */
export function readJsonl(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Write a task YAML into a temp folder and return its path. */
export function writeTask(dir: string, name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}
