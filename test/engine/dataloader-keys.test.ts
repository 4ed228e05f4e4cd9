import { describe, expect, it } from "vitest";
import { planRun } from "../../src/engine/plan.js";
import { FIXTURES, PLUGINS, tempDir, writeTask } from "./helpers.js";

/** Plan one task with the given `dataloader:` lines; returns the warnings the plan logged. */
async function planWarnings(dataloader: string): Promise<string[]> {
  const dir = tempDir();
  const file = writeTask(
    dir,
    "task.yaml",
    `task_name: test/dl\ndata_builder: test/echo_gen\nseed_examples:\n  - text: a\ndataloader:\n${dataloader}`,
  );
  const warnings: string[] = [];
  const logger = {
    debug() {},
    info() {},
    warn: (m: string) => void warnings.push(m),
    error() {},
    child: () => logger,
  };
  await planRun({
    taskPaths: [file],
    pluginDirs: [PLUGINS],
    cwd: FIXTURES,
    outputDir: dir,
    logger,
  });
  return warnings.map((w) => w.replace(dir, "<dir>"));
}

describe("a task's dataloader keys", () => {
  it("warns at plan time about a key its loader does not declare, with file:line and the closest key", async () => {
    const warnings = await planWarnings("  type: default\n  loop_ovr: true\n");
    expect(warnings).toEqual([
      "<dir>/task.yaml:7: task 'test/dl' dataloader: unknown key 'loop_ovr' (ignored); did you mean 'loop_over'?",
    ]);
  });

  it("reads each type's own keys: the simple loader's `data` is known, a far-off key has no hint", async () => {
    expect(
      await planWarnings("  type: simple\n  data: [{ text: b }]\n  loop_over: true\n"),
    ).toEqual([]);
    const [w] = await planWarnings("  type: default\n  zzzzzzzz: 1\n");
    expect(w).toContain("unknown key 'zzzzzzzz' (ignored)");
    expect(w).not.toContain("did you mean");
  });
});
