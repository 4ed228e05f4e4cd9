import { describe, expect, it } from "vitest";
import {
  deepMerge,
  keysInheritedFromOtherType,
  mergeBuilderConfig,
  mergeTaskOverride,
} from "./merge.js";
import { positionOf } from "./source-map.js";
import { parseYaml } from "./yaml.js";

describe("DiGiT's --config-path merge rules", () => {
  it("deep-merges an override block into the base block with the same name, keeping its other keys", () => {
    const base = {
      name: "b",
      blocks: [
        { name: "generator", type: "ollama", temperature: 0, max_tokens: 128 },
        { name: "dedup", type: "rouge_scorer" },
      ],
    };
    const out = mergeBuilderConfig(base, {
      blocks: [{ name: "generator", type: "openai", model_id_or_path: "gpt-4o-mini" }],
    });
    expect(out.blocks).toEqual([
      {
        name: "generator",
        type: "openai",
        temperature: 0,
        max_tokens: 128,
        model_id_or_path: "gpt-4o-mini",
      },
      { name: "dedup", type: "rouge_scorer" },
    ]);
    expect(base.blocks[0]!.type).toBe("ollama"); // the base is not mutated
  });

  it("remembers which keys a block kept from a base block of another type", () => {
    const out = mergeBuilderConfig(
      { name: "b", blocks: [{ name: "g", type: "mock", responses: ["x"], temperature: 0 }] },
      { blocks: [{ name: "g", type: "openai", model_id_or_path: "m" }] },
    );
    const block = (out.blocks as object[])[0]!;
    expect([...keysInheritedFromOtherType(block)].sort()).toEqual(["responses", "temperature"]);
    const same = mergeBuilderConfig(
      { name: "b", blocks: [{ name: "g", type: "mock", responses: ["x"] }] },
      { blocks: [{ name: "g", latency_ms: 5 }] },
    );
    expect(keysInheritedFromOtherType((same.blocks as object[])[0]!).size).toBe(0);
  });

  it("appends override blocks with new names and merges other keys", () => {
    const out = mergeBuilderConfig(
      {
        name: "b",
        blocks: [{ name: "a" }],
        metadata: { v: 1, w: 2 },
        postprocessors: [{ name: "a" }],
      },
      {
        blocks: [{ name: "z", type: "noop" }],
        metadata: { w: 3 },
        postprocessors: [{ name: "z" }],
      },
    );
    expect(out.blocks).toEqual([{ name: "a" }, { name: "z", type: "noop" }]);
    expect(out.metadata).toEqual({ v: 1, w: 3 });
    expect(out.postprocessors).toEqual([{ name: "z" }]); // lists are replaced, not merged
  });

  it("creates blocks when the base has none", () => {
    expect(mergeBuilderConfig({ name: "b" }, { blocks: [{ name: "x" }] }).blocks).toEqual([
      { name: "x" },
    ]);
  });

  it("shallow-merges task overrides; null removes a key; mappings are replaced whole", () => {
    const task = { task_name: "t", seed_examples: [{ q: 1 }], runner_config: { a: 1, b: 2 } };
    const out = mergeTaskOverride(task, {
      seed_examples: null,
      runner_config: { a: 5 },
      seed_datastore: { type: "default" },
    });
    expect(out).toEqual({
      task_name: "t",
      runner_config: { a: 5 },
      seed_datastore: { type: "default" },
    });
  });

  it("deepMerge replaces lists and recurses into mappings", () => {
    expect(deepMerge({ a: { b: [1, 2], c: 1 } }, { a: { b: [3] } })).toEqual({
      a: { b: [3], c: 1 },
    });
  });

  it("keeps source positions of both files after merging", () => {
    const base = parseYaml(
      "name: b\nblocks:\n  - name: g\n    type: ollama\n",
      "base.yaml",
    ) as Record<string, unknown>;
    const ov = parseYaml("blocks:\n  - name: g\n    model_id_or_path: m\n", "over.yaml") as Record<
      string,
      unknown
    >;
    const out = mergeBuilderConfig(base, ov.blocks ? { blocks: ov.blocks } : {});
    const block = (out.blocks as Record<string, unknown>[])[0]!;
    expect(positionOf(block, "type")).toEqual({ file: "base.yaml", line: 4 });
    expect(positionOf(block, "model_id_or_path")).toEqual({ file: "over.yaml", line: 3 });
  });
});
