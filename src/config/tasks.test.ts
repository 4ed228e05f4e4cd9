import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { loadTaskSources } from "./tasks.js";

function taskFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "digit-tasks-"));
  const file = join(dir, "task.yaml");
  writeFileSync(file, "task_name: my/qa\ndata_builder: my/builder\n");
  return file;
}

describe("loadTaskSources: override tasks no task file defines", () => {
  it("names the task and says to pass its file when the override only adjusts it", () => {
    const override = { tasks: { "my/qa": { seed: 1 }, "other/task": { models: [] } } };
    let err: unknown;
    try {
      loadTaskSources([taskFile()], override);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain("'other/task'");
    expect((err as ConfigError).hint).toMatch(/pass the task file that defines 'other\/task'/);
  });

  it("creates a task the override defines with its builder, and warns", () => {
    const warnings: string[] = [];
    const override = { tasks: { "other/task": { data_builder: "my/builder" } } };
    const tasks = loadTaskSources([taskFile()], override, (m) => warnings.push(m));
    expect(tasks.map((t) => t.raw.task_name)).toEqual(["my/qa", "other/task"]);
    expect(warnings.join("\n")).toContain("created from the override");
  });
});
