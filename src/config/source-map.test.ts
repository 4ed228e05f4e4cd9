import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadYamlWithIncludes } from "./include.js";
import { mergeTaskOverride } from "./merge.js";
import { derivedFrom, positionAtPath, positionOf, withoutKeys } from "./source-map.js";
import { parseYaml } from "./yaml.js";
import { parseWith } from "./zod-errors.js";

type Obj = Record<string, unknown>;
const TASK =
  "task_name: t\nrunner_config:\n  seed_batch_size: 2\n  num_outputs_to_generate: 5\nformatter:\n  type: x\n";

describe("source positions carried by the loaded nodes", () => {
  it("are looked up in the YAML node: mapping keys, list items, and the object itself", () => {
    const v = parseYaml("a: 1\nlist:\n  - x\n  - y\nnested:\n  b: 2\n", "f.yaml") as Obj;
    expect(positionOf(v, "a")).toEqual({ file: "f.yaml", line: 1 });
    expect(positionOf(v.list, 1)).toEqual({ file: "f.yaml", line: 4 });
    expect(positionOf(v.nested, "b")).toEqual({ file: "f.yaml", line: 6 });
    expect(positionOf(v.nested)).toEqual({ file: "f.yaml", line: 6 });
    // An unknown key falls back to the object's own position.
    expect(positionOf(v.nested, "zzz")).toEqual({ file: "f.yaml", line: 6 });
  });

  it("are found in large mappings, and not past the end of a list", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `k${i}: ${i}`).join("\n");
    const text = `${lines}\nl: [a]\n`;
    const v = parseYaml(text, "big.yaml") as Obj;
    expect(positionOf(v, "k33")).toEqual({ file: "big.yaml", line: 34 });
    expect(positionOf(v.l, 5)).toEqual({ file: "big.yaml", line: 41 });
  });

  it("are invisible to keys, spreading, JSON and deep equality", () => {
    const v = parseYaml("a: 1\n", "f.yaml") as Obj;
    expect(Object.getOwnPropertySymbols({ ...v })).toEqual([]);
    expect(JSON.stringify(v)).toBe('{"a":1}');
    expect(v).toStrictEqual({ a: 1 });
  });

  it("follow a validated copy back to the loaded YAML at any depth", () => {
    const raw = parseYaml(TASK, "task.yaml");
    const schema = z.looseObject({
      task_name: z.string(),
      runner_config: z.object({ seed_batch_size: z.number(), num_outputs_to_generate: z.number() }),
      formatter: z.looseObject({ type: z.string() }),
    });
    const parsed = parseWith(schema, raw, "task");
    expect(parsed).not.toBe(raw);
    expect(positionOf(parsed.runner_config, "num_outputs_to_generate")).toEqual({
      file: "task.yaml",
      line: 4,
    });
    expect(positionOf(parsed.formatter, "type")).toEqual({ file: "task.yaml", line: 6 });
    expect(positionAtPath(parsed, ["runner_config", "seed_batch_size"])).toEqual({
      file: "task.yaml",
      line: 3,
    });
  });

  it("name the override file for overridden keys and the task file for the rest", () => {
    const task = parseYaml(TASK, "task.yaml") as Obj;
    const ov = parseYaml("# override\nformatter:\n  type: y\n", "over.yaml") as Obj;
    const merged = mergeTaskOverride(task, ov);
    expect(positionOf(merged, "formatter")).toEqual({ file: "over.yaml", line: 2 });
    expect(positionOf(merged, "runner_config")).toEqual({ file: "task.yaml", line: 2 });
    // Dropping keys keeps the positions of the others.
    expect(positionOf(withoutKeys(merged, ["task_name"]), "formatter")).toEqual({
      file: "over.yaml",
      line: 2,
    });
  });

  it("survive variable expansion and includes, naming the included file for its keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-source-map-"));
    writeFileSync(join(dir, "part.yaml"), "\n\nfrom_part: 1\n");
    writeFileSync(
      join(dir, "task.yaml"),
      "task_name: ${DIGIT_SM_NAME:-t}\ninclude: part.yaml\nown: 2\n",
    );
    const v = loadYamlWithIncludes(join(dir, "task.yaml"), dir) as Obj;
    expect(v).toEqual({ task_name: "t", from_part: 1, own: 2 });
    expect(positionOf(v, "task_name")).toEqual({ file: join(dir, "task.yaml"), line: 1 });
    expect(positionOf(v, "own")).toEqual({ file: join(dir, "task.yaml"), line: 3 });
    expect(positionOf(v, "from_part")).toEqual({ file: join(dir, "part.yaml"), line: 3 });
  });

  it("are absent for objects not made from loaded YAML", () => {
    expect(positionOf({ a: 1 }, "a")).toBeUndefined();
    const plain = { a: 1 };
    expect(derivedFrom({ ...plain }, plain)).toEqual({ a: 1 });
    expect(positionOf(derivedFrom({ ...plain }, plain), "a")).toBeUndefined();
  });
});
