import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digit, ROOT, tempDir } from "./helpers.js";

describe("digit schema", () => {
  it("prints the named schema to stdout and writes no file", async () => {
    const cwd = tempDir();
    const printed: Record<string, string> = {};
    for (const kind of ["task", "override"]) {
      const r = await digit(["schema", kind], { cwd });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(ROOT, "schemas", `${kind}.schema.json`), "utf8"));
      printed[kind] = r.stdout;
    }
    const override = JSON.parse(printed.override!) as {
      properties: Record<string, { description?: string }>;
      additionalProperties: boolean;
    };
    expect(Object.keys(override.properties).sort()).toEqual([
      "budget",
      "databuilders",
      "task_files",
      "tasks",
    ]);
    expect(override.properties.tasks!.description).toMatch(/merged into that task/);
    expect(override.additionalProperties).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("writes every schema only with --out-dir, and --check tells whether they are current", async () => {
    const cwd = tempDir();
    const w = await digit(["schema", "--out-dir", "out"], { cwd });
    expect(w.code, w.stderr).toBe(0);
    expect(readdirSync(join(cwd, "out")).sort()).toEqual([
      "builder.schema.json",
      "override.schema.json",
      "task.schema.json",
    ]);
    expect((await digit(["schema", "--out-dir", "out", "--check"], { cwd })).code).toBe(0);
    const stale = await digit(["schema", "--out-dir", "elsewhere", "--check"], { cwd });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("run: digit schema --out-dir elsewhere");
    expect(existsSync(join(cwd, "elsewhere"))).toBe(false);
  });

  it("without a schema name or --out-dir, or with an unknown name, is a usage error (exit 2)", async () => {
    const cwd = tempDir();
    const none = await digit(["schema"], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name the schema to print: task, builder or override/);
    const typo = await digit(["schema", "tsk"], { cwd });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/did you mean 'task'/);
    expect((await digit(["schema", "--check"], { cwd })).code).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
