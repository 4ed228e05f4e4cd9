import { describe, expect, it } from "vitest";
import { UnsetVariableError } from "../errors.js";
import { expandAll, expandString } from "./env.js";
import { parseYaml } from "./yaml.js";

describe("${VAR} expansion", () => {
  const env = { DGT_DATA_DIR: "data", EMPTY: "" };
  it("expands braced variables, defaults and $$", () => {
    expect(expandString("${DGT_DATA_DIR}/x.jsonl", {}, env)).toBe("data/x.jsonl");
    expect(expandString("${MISSING:-fallback}/y", {}, env)).toBe("fallback/y");
    expect(expandString("${EMPTY:-d}", {}, env)).toBe("d");
    expect(expandString("costs $$5 and $HOME stays", {}, env)).toBe("costs $5 and $HOME stays");
  });

  it("names the file and line of an unset variable", () => {
    const doc = parseYaml("task_name: t\nseed_datastore:\n  data_path: ${NOPE_NOT_SET}/s.jsonl\n", "task.yaml");
    try {
      expandAll(doc, env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsetVariableError);
      expect((e as UnsetVariableError).file).toBe("task.yaml");
      expect((e as UnsetVariableError).line).toBe(3);
      expect((e as UnsetVariableError).message).toContain("NOPE_NOT_SET");
    }
  });

  it("expands every string in nested values but not keys", () => {
    expect(expandAll({ a: ["${DGT_DATA_DIR}"], "${K}": { b: "${DGT_DATA_DIR}/z" } }, env)).toEqual({ a: ["data"], "${K}": { b: "data/z" } });
  });
});
