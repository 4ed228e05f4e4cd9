import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { filesBelow } from "./files-below.js";

const root = mkdtempSync(join(tmpdir(), "digit-files-below-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function touch(rel: string): void {
  const path = join(root, rel);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "");
}

describe("filesBelow", () => {
  it("finds kept files at every depth, sorted, and skips node_modules and dot names", () => {
    for (const f of [
      "b.ts",
      "a/z.ts",
      "a/b/c.ts",
      "a/readme.md",
      "node_modules/x/y.ts",
      ".hidden/h.ts",
      "a/.dot.ts",
    ])
      touch(f);
    expect(filesBelow(root, (n) => n.endsWith(".ts")).map((f) => f.slice(root.length + 1))).toEqual(
      ["a/b/c.ts", "a/z.ts", "b.ts"],
    );
  });

  it("follows a linked folder once and does not loop on a link to an ancestor", () => {
    const dir = join(root, "links");
    mkdirSync(join(dir, "real"), { recursive: true });
    writeFileSync(join(dir, "real", "task.yaml"), "");
    symlinkSync(join(dir, "real"), join(dir, "alias"));
    symlinkSync(dir, join(dir, "real", "up"));
    const found = filesBelow(dir, (n) => n === "task.yaml").map((f) => f.slice(dir.length + 1));
    expect(found).toContain("alias/task.yaml");
    expect(found).toContain("real/task.yaml");
    expect(found.length).toBeLessThan(10);
  });

  it("counts a folder that does not exist as empty", () => {
    expect(filesBelow(join(root, "missing"), () => true)).toEqual([]);
  });
});
