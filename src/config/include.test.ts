import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { loadYamlWithIncludes } from "./include.js";

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "digit-include-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("include:", () => {
  it("merges included YAML files (globs, ../ paths) under the file's own keys", () => {
    const dir = tree({
      "tasks/t/task.yaml": "include:\n  - ../../shared/*.yaml\ntask_name: mine\n",
      "shared/a.yaml": "task_name: theirs\nx: 1\n",
      "shared/b.yaml": "y: [1]\n",
    });
    expect(loadYamlWithIncludes(join(dir, "tasks/t/task.yaml"), dir)).toEqual({
      task_name: "mine",
      x: 1,
      y: [1],
    });
  });

  it("a mapping include loads each value (JSONL as a list of records)", () => {
    const dir = tree({
      "task.yaml": "task_name: t\ninclude:\n  seed_examples: seeds.jsonl\n  notes: notes.txt\n",
      "seeds.jsonl": '{"q":1}\n{"q":2}\n',
      "notes.txt": "hello",
    });
    expect(loadYamlWithIncludes(join(dir, "task.yaml"), dir)).toEqual({
      task_name: "t",
      seed_examples: [{ q: 1 }, { q: 2 }],
      notes: "hello",
    });
  });

  it("a missing include is an error with file and line", () => {
    const dir = tree({ "task.yaml": "task_name: t\ninclude: nothing-here.yaml\n" });
    expect(() => loadYamlWithIncludes(join(dir, "task.yaml"), dir)).toThrow(ConfigError);
  });

  it("resolves a mapping include at any depth: a glob gives a list of contents, a path a string", () => {
    const dir = tree({
      "task.yaml":
        "task_name: t\ninclude:\n  documents:\n    group: docs/part_*\n    single: docs/one.md\n    nested:\n      deeper: [docs/one.md, docs/part_*]\n",
      "docs/part_b.md": "B",
      "docs/part_a.md": "A",
      "docs/one.md": "ONE",
    });
    expect(loadYamlWithIncludes(join(dir, "task.yaml"), dir)).toEqual({
      task_name: "t",
      documents: { group: ["A", "B"], single: "ONE", nested: { deeper: ["ONE", "A", "B"] } },
    });
  });

  it("a nested path or glob that matches nothing is an error naming the file and line", () => {
    const dir = tree({
      "task.yaml":
        "task_name: t\ninclude:\n  documents:\n    ok: one.md\n    missing: nowhere/*.md\n",
      "one.md": "x",
    });
    let error: unknown;
    try {
      loadYamlWithIncludes(join(dir, "task.yaml"), dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ file: join(dir, "task.yaml"), line: 5 });
    expect((error as Error).message).toContain("nowhere/*.md");
  });

  it("a value that is not a path, list or mapping is an error", () => {
    const dir = tree({ "task.yaml": "task_name: t\ninclude:\n  documents:\n    count: 3\n" });
    expect(() => loadYamlWithIncludes(join(dir, "task.yaml"), dir)).toThrow(
      /include: values must be paths/,
    );
  });
});
