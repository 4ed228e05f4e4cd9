import { describe, expect, it } from "vitest";
import { YamlSyntaxError } from "../errors.js";
import { parseYaml } from "./yaml.js";

describe("YAML loading", () => {
  it("reports syntax errors with file and line", () => {
    try {
      parseYaml("task_name: t\nseed_examples:\n  - question: [unclosed\n", "bad.yaml");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(YamlSyntaxError);
      expect((e as YamlSyntaxError).file).toBe("bad.yaml");
      expect((e as YamlSyntaxError).line).toBeGreaterThanOrEqual(3);
    }
  });

  it("rejects duplicate keys, naming the line", () => {
    expect(() => parseYaml("a: 1\nb: 2\na: 3\n", "dup.yaml")).toThrow(/appears twice/);
  });

  it("honours merge keys and keeps YAML 1.2 scalars", () => {
    expect(parseYaml("base: &b {x: 1}\nd:\n  <<: *b\n  y: no\n", "m.yaml")).toEqual({ base: { x: 1 }, d: { x: 1, y: "no" } });
  });
});
