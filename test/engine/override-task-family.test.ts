import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTaskSources } from "../../src/config/tasks.js";
import { ConfigError } from "../../src/errors.js";
import { digitRunOutput, readJsonl, tempDir } from "../builders/support.js";
import { withEnv } from "../support/with-env.js";

const FAMILY = "test/fixtures/engine/tool-family-override.yaml";
const TRAVEL = "test/fixtures/builders/tool_calling/task.yaml";

describe("an override file for a family of task files, run with one of them", () => {
  it("runs the one task; the other entries (no data_builder) are left out, warned", async () => {
    const dir = tempDir("family");
    const r = await withEnv({ DGT_CACHE_DIR: join(dir, "cache") }, () =>
      digitRunOutput([
        TRAVEL,
        "--config-path",
        FAMILY,
        "--output-dir",
        dir,
        "--num-outputs-to-generate",
        "2",
        "--include-namespaces",
        "public",
      ]),
    );
    expect(r.stderr).not.toMatch(/has no 'data_builder'\n/);
    expect(r.result).toBe(0);
    expect(readJsonl(join(dir, "test/tool_calling/travel/final_data.jsonl"))).toHaveLength(2);
    for (const other of ["travel_single_turn", "travel_no_bt"])
      expect(r.stderr).toContain(
        `task 'test/tool_calling/${other}' in the override file is not among this run's task files`,
      );
  });

  it("an entry close to the name of a run's task without its own entry is a typo: error", () => {
    const override = { tasks: { "test/tool_calling/travle": { max_turns: 2 } } };
    let error: unknown;
    try {
      loadTaskSources([TRAVEL], override, () => {}, "override.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as ConfigError).message)).toMatch(
      /task 'test\/tool_calling\/travle' in the override file matches no task file of this run/,
    );
    expect((error as ConfigError).hint).toMatch(/did you mean 'test\/tool_calling\/travel'\?/);
    expect((error as ConfigError).file).toBe("override.yaml");
  });

  it("an entry with a data_builder is still created as a task, as in DiGiT", () => {
    const warnings: string[] = [];
    const tasks = loadTaskSources(
      [TRAVEL],
      { tasks: { "test/extra": { data_builder: "core/conversation", max_turns: 2 } } },
      (m) => warnings.push(m),
    );
    expect(tasks.map((t) => t.raw.task_name)).toEqual(["test/tool_calling/travel", "test/extra"]);
    expect(warnings.join("\n")).toMatch(/'test\/extra' .* it is created from the override/);
  });
});
