import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { YamlSyntaxError } from "../errors.js";
import { MAX_CONFIG_FILE_BYTES, parseYaml, readYamlFile } from "./yaml.js";

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

  it("refuses a key named __proto__, which copying the mapping would turn into its prototype", () => {
    expect(() =>
      parseYaml("task_name: t\nnested:\n  __proto__:\n    polluted: yes\n", "p.yaml"),
    ).toThrow(
      expect.objectContaining({
        code: "DIGIT_YAML_SYNTAX",
        line: 3,
        message: expect.stringMatching(/__proto__/),
      }),
    );
  });

  it("honours merge keys and keeps YAML 1.2 scalars", () => {
    expect(parseYaml("base: &b {x: 1}\nd:\n  <<: *b\n  y: no\n", "m.yaml")).toEqual({
      base: { x: 1 },
      d: { x: 1, y: "no" },
    });
  });

  it("reports a billion-laughs file as a YAML error naming the file", () => {
    let yaml = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    const names = "abcdefghi";
    for (let i = 1; i < 9; i++)
      yaml += `${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(",")}]\n`;
    let error: unknown;
    try {
      parseYaml(yaml, "lol.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YamlSyntaxError);
    expect((error as YamlSyntaxError).file).toBe("lol.yaml");
    expect((error as YamlSyntaxError).message).toMatch(/aliases expand too much/);
  });

  it("refuses a configuration file over the size cap before parsing it", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-yaml-cap-"));
    try {
      const file = join(dir, "big.yaml");
      writeFileSync(file, `task_name: big\nnote: "${"x".repeat(MAX_CONFIG_FILE_BYTES)}"\n`);
      expect(() => readYamlFile(file, "task file")).toThrow(
        /task file is 16 MiB; configuration files may be at most 16 MiB/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
