import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { extractCode, parseJsonReply } from "./llm-cells.js";
import { validationColumn } from "./schema.js";
import { validationCheck } from "./validators.js";

const check = (validator_type: string, params: Record<string, unknown>) =>
  validationCheck(
    validationColumn.parse({
      name: "v",
      type: "validation",
      target_columns: ["x"],
      validator_type,
      params,
    }),
  );

describe("validation checks", () => {
  it("length and regex", () => {
    expect(check("length", { min: 3, max: 5 })({ x: "abcd" })).toEqual({
      is_valid: true,
      errors: [],
    });
    expect(check("length", { min: 3, max: 5 })({ x: "ab" }).errors).toEqual([
      "x: 2 characters, fewer than 3",
    ]);
    expect(check("regex", { pattern: "^\\d+$" })({ x: "12a" }).is_valid).toBe(false);
    expect(
      check("regex", { pattern: "secret", must_match: false })({ x: "no secrets here" }).is_valid,
    ).toBe(false);
  });

  it("JSON Schema, over objects and JSON text", () => {
    const c = check("json_schema", {
      schema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] },
    });
    expect(c({ x: { n: 1 } }).is_valid).toBe(true);
    expect(c({ x: '{"n": 2}' }).is_valid).toBe(true);
    expect(c({ x: { n: "one" } }).errors[0]).toMatch(/\/n must be integer/);
  });

  it("code: JavaScript and TypeScript syntax, JSON, SQL with a real parser", () => {
    expect(
      check("code", { code_lang: "javascript" })({ x: "const a = (b) => b * 2; export default a;" })
        .is_valid,
    ).toBe(true);
    expect(check("code", { code_lang: "js" })({ x: "const = 1" }).errors[0]).toMatch(
      /JavaScript syntax error/,
    );
    expect(
      check("code", { code_lang: "typescript" })({
        x: "const a: number = 1; function f<T>(x: T): T { return x; }",
      }).is_valid,
    ).toBe(true);
    expect(check("code", { code_lang: "ts" })({ x: "const a: = 1" }).errors[0]).toMatch(
      /TypeScript syntax error/,
    );
    expect(check("code", { code_lang: "json" })({ x: '{"a": [1, 2]}' }).is_valid).toBe(true);
    expect(check("code", { code_lang: "json" })({ x: "{a: 1}" }).is_valid).toBe(false);
    expect(
      check("code", { code_lang: "sql" })({
        x: "SELECT name, COUNT(*) FROM users WHERE age > 3 GROUP BY name",
      }).is_valid,
    ).toBe(true);
    expect(
      check("code", { code_lang: "postgres" })({ x: "SELEC name FROM users" }).errors[0],
    ).toMatch(/SQL does not parse/);
  });

  it("bad settings are config errors", () => {
    expect(() => check("regex", { pattern: "(" })).toThrow(ConfigError);
    expect(() => check("code", { code_lang: "cobol" })).toThrow(/do not know language 'cobol'/);
    expect(() => check("length", { min: 5, max: 2 })).toThrow(ConfigError);
  });
});

describe("reply parsing", () => {
  it("extracts the code of the asked language", () => {
    const reply = "Here you go:\n```sql\nSELECT 1\n```\nand in Python:\n```python\nprint(1)\n```";
    expect(extractCode(reply, "python")).toBe("print(1)");
    expect(extractCode(reply, "sql:postgres")).toBe("SELECT 1");
    expect(extractCode("```\nx = 1\n```", "python")).toBe("x = 1");
    expect(extractCode("  x = 1 ", "python")).toBe("x = 1");
  });

  it("finds the JSON object in a reply", () => {
    expect(parseJsonReply('{"a": 1}')).toEqual({ a: 1 });
    expect(parseJsonReply('Sure!\n```json\n{"a": 2}\n```')).toEqual({ a: 2 });
    expect(parseJsonReply('The answer is {"a": 3}. Done')).toEqual({ a: 3 });
    expect(parseJsonReply("[1, 2]")).toBeUndefined();
    expect(parseJsonReply("no json")).toBeUndefined();
  });
});
