import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { BLOCK_NAME_RULE, checkOutputName, checkOwnFolder } from "./output-names.js";

const rule = { what: "store_name", base: "the output folder", example: "my_org/qa" };
const refused = (f: () => void) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("not refused");
};

describe("checkOutputName", () => {
  it("accepts relative names, nested ones, and '..' that stays inside", () => {
    for (const n of ["qa", "my_org/qa", "a/../b", "./qa", "ünïcødé/名前", "x".repeat(255)])
      checkOutputName(n, rule);
  });

  it("refuses names that leave the folder or name it", () => {
    for (const n of ["..", "../x", "a/../../x", "/etc/x", "C:\\x", "..\\x", ".", "a/.."])
      expect(refused(() => checkOutputName(n, rule))).toMatch(
        /would write outside the output folder/,
      );
  });

  it("refuses names no file system takes", () => {
    expect(refused(() => checkOutputName("", rule))).toMatch(/is blank/);
    expect(refused(() => checkOutputName(" \t", rule))).toMatch(/is blank|control character/);
    expect(refused(() => checkOutputName("a\nb", rule))).toMatch(
      /'a\\nb' contains a control character/,
    );
    expect(refused(() => checkOutputName("a\0b", rule))).toMatch(/control character/);
    expect(refused(() => checkOutputName("a/ b", rule))).toMatch(
      /segment ' b' that starts or ends with whitespace/,
    );
    expect(refused(() => checkOutputName("a /b", rule))).toMatch(/segment 'a '/);
    expect(refused(() => checkOutputName("é".repeat(128), rule))).toMatch(/256 bytes; at most 255/);
    expect(refused(() => checkOutputName(Array(9).fill("x".repeat(120)).join("/"), rule))).toMatch(
      /is 1088 bytes long; at most 1024/,
    );
  });

  it("keeps room in a block name's last segment for extensions and temporary suffixes", () => {
    checkOutputName("x".repeat(223), BLOCK_NAME_RULE);
    expect(refused(() => checkOutputName("x".repeat(224), BLOCK_NAME_RULE))).toMatch(/at most 223/);
    expect(refused(() => checkOutputName("../data", BLOCK_NAME_RULE))).toMatch(
      /outside the task's blocks\/ folder/,
    );
  });
});

describe("checkOwnFolder", () => {
  it("takes absolute folders as written and relative ones below the working directory", () => {
    for (const p of ["/srv/exports", "exports", "out/../exports"]) checkOwnFolder(p, "output_dir");
  });

  it("refuses a relative folder that climbs out, a blank one, a control character", () => {
    expect(refused(() => checkOwnFolder("../exports", "output_dir"))).toMatch(
      /climbs out of the working directory/,
    );
    expect(refused(() => checkOwnFolder("  ", "output_dir"))).toMatch(/is blank/);
    expect(refused(() => checkOwnFolder("a\rb", "output_dir"))).toMatch(/control character/);
  });
});
