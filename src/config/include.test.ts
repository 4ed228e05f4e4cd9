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
    expect(loadYamlWithIncludes(join(dir, "tasks/t/task.yaml"), dir)).toEqual({ task_name: "mine", x: 1, y: [1] });
  });

  it("a mapping include loads each value (JSONL as a list of records)", () => {
    const dir = tree({
      "task.yaml": "task_name: t\ninclude:\n  seed_examples: seeds.jsonl\n  notes: notes.txt\n",
      "seeds.jsonl": '{"q":1}\n{"q":2}\n',
      "notes.txt": "hello",
    });
    expect(loadYamlWithIncludes(join(dir, "task.yaml"), dir)).toEqual({ task_name: "t", seed_examples: [{ q: 1 }, { q: 2 }], notes: "hello" });
  });

  it("a missing include is an error with file and line", () => {
    const dir = tree({ "task.yaml": "task_name: t\ninclude: nothing-here.yaml\n" });
    expect(() => loadYamlWithIncludes(join(dir, "task.yaml"), dir)).toThrow(ConfigError);
  });
});
