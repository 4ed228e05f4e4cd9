import { describe, expect, it } from "vitest";
import { ConfigError, UnsetVariableError, YamlSyntaxError } from "../errors.js";
import { expandAll, expandString, MAX_EXPANDED_VALUES } from "./env.js";
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
    const doc = parseYaml(
      "task_name: t\nseed_datastore:\n  data_path: ${NOPE_NOT_SET}/s.jsonl\n",
      "task.yaml",
    );
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
    expect(expandAll({ a: ["${DGT_DATA_DIR}"], "${K}": { b: "${DGT_DATA_DIR}/z" } }, env)).toEqual({
      a: ["data"],
      "${K}": { b: "data/z" },
    });
  });

  it("expands nested references innermost first", () => {
    const e = { STAGE: "dev", MODEL_dev: "granite", DEFAULT: "llama", X: "x" };
    expect(expandString("${MODEL_${STAGE}}", {}, e)).toBe("granite");
    expect(expandString("${MODEL_${STAGE}:-none}/${MODEL_${X}:-none}", {}, e)).toBe("granite/none");
    expect(expandString("${UNSET:-${DEFAULT}}", {}, e)).toBe("llama");
    expect(expandString("${UNSET:-${ALSO_UNSET:-${DEFAULT}-2}}!", {}, e)).toBe("llama-2!");
    expect(expandString("${UNSET:-a$$b}", {}, e)).toBe("a$b");
  });

  it("expands a default only when it is used", () => {
    expect(expandString("${X:-${NOT_SET_AT_ALL}}", {}, { X: "set" })).toBe("set");
  });

  it("reports an unset variable inside a default or a nested name", () => {
    expect(() =>
      expandString("${UNSET:-${NOT_SET_EITHER}}", { file: "t.yaml", line: 2 }, {}),
    ).toThrow(UnsetVariableError);
    expect(() => expandString("${UNSET:-${NOT_SET_EITHER}}", {}, {})).toThrow(/NOT_SET_EITHER/);
    expect(() => expandString("${MODEL_${STAGE}}", {}, { STAGE: "prod" })).toThrow(
      /'MODEL_prod' is not set/,
    );
  });

  it("reports a reference without its closing brace, naming the file and line", () => {
    for (const text of ["${DGT_DATA_DIR", "x ${A_${B}", "${X:-${Y}", "${X:-abc"]) {
      let error: unknown;
      try {
        expandString(text, { file: "t.yaml", line: 4 }, { B: "b" });
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain("no closing '}'");
      expect((error as ConfigError).file).toBe("t.yaml");
      expect((error as ConfigError).line).toBe(4);
    }
  });

  it("refuses a nested reference that builds an invalid name", () => {
    expect(() => expandString("${A_${B}}", {}, { B: "x y" })).toThrow(/not a valid variable name/);
  });

  it("leaves text that is not a reference as it was", () => {
    expect(expandString("${ spaced } and ${} and ${1x} and $", {}, env)).toBe(
      "${ spaced } and ${} and ${1x} and $",
    );
  });

  it("gives each alias of one anchor its own copy, and returns unchanged values as they are", () => {
    const doc = parseYaml("a: &x {p: 1}\nb: *x\nc: {q: [1, 2]}\n", "a.yaml") as Record<
      string,
      Record<string, unknown>
    >;
    const out = expandAll(doc, env) as Record<string, Record<string, unknown>>;
    expect(out).toEqual({ a: { p: 1 }, b: { p: 1 }, c: { q: [1, 2] } });
    expect(out.a).not.toBe(out.b);
    expect(out.c).toBe(doc.c);
  });

  it("refuses aliases that expand past the value cap", () => {
    // One anchor of 10,000 values named 1,000 times: 10 million values, from a file of 60 KB.
    const list = `[${Array(10_000).fill("1").join(",")}]`;
    const yaml = `a: &a ${list}\nb: [${Array(1000).fill("*a").join(", ")}]\n`;
    expect(10_000 * 1000).toBeGreaterThan(MAX_EXPANDED_VALUES);
    expect(() => expandAll(parseYaml(yaml, "wide.yaml"), env)).toThrow(YamlSyntaxError);
  });
});
