import { describe, expect, it } from "vitest";
import {
  ConditionSyntaxError,
  conditionColumns,
  evaluateCondition,
  parseCondition,
} from "./condition.js";

const holds = (src: string, row: Record<string, unknown>): boolean =>
  evaluateCondition(parseCondition(src), row);

describe("conditions", () => {
  it("compares numbers, strings, booleans and nested fields", () => {
    expect(holds("age > 60", { age: 61 })).toBe(true);
    expect(holds("age > 60", { age: 60 })).toBe(false);
    expect(holds("age >= 60 && age <= 70", { age: 60 })).toBe(true);
    expect(holds("tier == 'gold'", { tier: "gold" })).toBe(true);
    expect(holds('tier != "gold"', { tier: "gold" })).toBe(false);
    expect(holds("person.age < 30", { person: { age: 20 } })).toBe(true);
    expect(holds("flag == true", { flag: true })).toBe(true);
    expect(holds("not (a > 1 or b > 1)", { a: 0, b: 0 })).toBe(true);
    expect(holds("x in [1, 2, 3]", { x: 2 })).toBe(true);
    expect(holds("x not in ['a', 'b']", { x: "a" })).toBe(false);
  });

  it("compares a datetime with a date written as a string", () => {
    const row = { opened: new Date("2024-06-15T10:00:00Z") };
    expect(holds("opened > '2024-06-01'", row)).toBe(true);
    expect(holds("opened < '2024-06-15T09:00:00Z'", row)).toBe(false);
  });

  it("an ordering of mismatched or missing values is false", () => {
    expect(holds("age > 3", { age: "old" })).toBe(false);
    expect(holds("age > 3", {})).toBe(false);
  });

  it("names the columns it reads", () => {
    expect(conditionColumns(parseCondition("person.age > 60 or tier in ['a'] and not x"))).toEqual([
      "person",
      "tier",
      "x",
    ]);
  });

  it("rejects what is not in the grammar (nothing is evaluated as code)", () => {
    for (const bad of [
      "",
      "age >",
      "process.exit()",
      "a = 1",
      "(a > 1",
      "a > 1 b",
      "`x`",
      "a > 1; b",
    ]) {
      expect(() => parseCondition(bad), bad).toThrow(ConditionSyntaxError);
    }
  });
});
