import { z } from "digit-sdg";
import { describe, expect, it } from "vitest";
import { isDigitError } from "../../../../src/errors.js";
import {
  ConstraintUnsatisfiableError,
  SamplerError,
  SamplerParamsError,
  SamplerReferenceError,
  UnknownSamplerError,
} from "./errors.js";
import { SAMPLER_PARAMS } from "./params.js";
import { createRecordSampler, type SamplingSpec } from "./record-sampler.js";
import { samplerColumnSchema } from "./schema.js";
import { col } from "./test-helpers.js";

/** A raw column, not parsed (so the record sampler's own checks run). */
function raw(
  name: string,
  samplerType: string,
  params: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): SamplingSpec["columns"][number] {
  return {
    name,
    type: "sampler",
    sampler_type: samplerType,
    params,
    conditional_params: {},
    ...extra,
  } as SamplingSpec["columns"][number];
}

function failure(spec: Omit<SamplingSpec, "seedKey">): SamplerError {
  try {
    createRecordSampler({ seedKey: "e", ...spec });
  } catch (e) {
    expect(isDigitError(e)).toBe(true);
    expect(e).toBeInstanceOf(SamplerError);
    return e as SamplerError;
  }
  throw new Error("expected an error");
}

describe("sampler schemas", () => {
  it("every sampler's params and the column itself have a JSON Schema (for digit describe)", () => {
    for (const [type, schema] of Object.entries(SAMPLER_PARAMS)) {
      expect(z.toJSONSchema(schema, { io: "input" }), type).toHaveProperty("properties");
    }
    const column = z.toJSONSchema(samplerColumnSchema, { io: "input" }) as { required?: string[] };
    expect(column.required).toEqual(["name", "type", "sampler_type"]);
  });
});

describe("sampler errors", () => {
  it("unknown sampler: the closest name, the column and the key path", () => {
    const e = failure({ columns: [raw("age", "gausian", { mean: 1, stddev: 1 })] });
    expect(e).toBeInstanceOf(UnknownSamplerError);
    expect(e.code).toBe("DIGIT_SAMPLER_UNKNOWN");
    expect(e.column).toBe("age");
    expect(e.path).toEqual(["sampler_type"]);
    expect(e.hint).toContain("did you mean 'gaussian'?");
    expect(e.format()).not.toContain("    at ");
  });

  it("the schema reports the same problems as zod issues at their paths", () => {
    const r = samplerColumnSchema.safeParse({
      name: "a",
      type: "sampler",
      sampler_type: "categroy",
      params: { values: ["x"] },
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["sampler_type"]);
    expect(r.error!.issues[0]!.message).toContain("did you mean 'category'?");
    const w = samplerColumnSchema.safeParse({
      name: "a",
      type: "sampler",
      sampler_type: "category",
      params: { values: ["x", "y"], weights: [1] },
    });
    expect(w.error!.issues[0]!.path).toEqual(["params", "weights"]);
  });

  it("weights list of the wrong length", () => {
    const e = failure({
      columns: [raw("c", "category", { values: ["a", "b", "c"], weights: [1, 2] })],
    });
    expect(e).toBeInstanceOf(SamplerParamsError);
    expect(e.code).toBe("DIGIT_SAMPLER_PARAMS");
    expect(e.path).toEqual(["params", "weights"]);
    expect(e.message).toContain("2 weights for 3 values");
  });

  it("wrong params: missing, unknown (with the closest name), out of range, wrong type", () => {
    const missing = failure({ columns: [raw("g", "gaussian", { mean: 3 })] });
    expect(missing.path).toEqual(["params", "stddev"]);
    expect(missing.message).toContain("needs param 'stddev'");
    const unknown = failure({ columns: [raw("g", "gaussian", { mean: 3, stdev: 1 })] });
    expect(unknown.path).toEqual(["params", "stdev"]);
    expect(unknown.hint).toContain("did you mean 'stddev'?");
    const range = failure({ columns: [raw("b", "bernoulli", { p: 1.5 })] });
    expect(range.path).toEqual(["params", "p"]);
    const type = failure({ columns: [raw("u", "uniform", { low: "0", high: 1 })] });
    expect(type.path).toEqual(["params", "low"]);
    const order = failure({ columns: [raw("u", "uniform", { low: 2, high: 1 })] });
    expect(order.message).toContain("high must be greater than low");
    const date = failure({
      columns: [raw("d", "datetime", { start: "yesterday", end: "2024-01-01" })],
    });
    expect(date.path).toEqual(["params", "start"]);
  });

  it("wrong conditional params: a condition that does not parse, params that do not fit", () => {
    const syntax = failure({
      columns: [raw("n", "poisson", { mean: 1 }, { conditional_params: { "age >": { mean: 2 } } })],
    });
    expect(syntax.path).toEqual(["conditional_params", "age >"]);
    expect(syntax.message).toContain("does not parse");
    const bad = failure({
      columns: [
        raw("age", "uniform", { low: 0, high: 9 }),
        raw("n", "poisson", { mean: 1 }, { conditional_params: { "age > 3": { mean: -1 } } }),
      ],
    });
    expect(bad.path).toEqual(["conditional_params", "age > 3", "mean"]);
  });

  it("bad convert_to, with the closest name", () => {
    const e = failure({
      columns: [raw("x", "uniform", { low: 0, high: 1 }, { convert_to: "integer" })],
    });
    expect(e).toBeInstanceOf(UnknownSamplerError);
    expect(e.path).toEqual(["convert_to"]);
    expect(e.message).toContain("did you mean 'int'?");
  });

  it("unknown person locale and city", () => {
    expect(failure({ columns: [raw("p", "person", { locale: "en_UK" })] }).message).toContain(
      "did you mean 'en_US'?",
    );
    const city = failure({ columns: [raw("p", "person", { city: "Bostn" })] });
    expect(city.path).toEqual(["params", "city"]);
    expect(city.message).toContain("did you mean 'Boston'?");
  });

  it("references to unknown or unfit columns, and cycles", () => {
    const parent = failure({
      columns: [
        col("topic", "category", { values: ["a"] }),
        col("s", "subcategory", { category: "topc", values: { a: ["x"] } }),
      ],
    });
    expect(parent).toBeInstanceOf(SamplerReferenceError);
    expect(parent.path).toEqual(["params", "category"]);
    expect(parent.hint).toContain("did you mean 'topic'?");
    const missingKey = failure({
      columns: [
        col("topic", "category", { values: ["a", "b"] }),
        col("s", "subcategory", { category: "topic", values: { a: ["x"] } }),
      ],
    });
    expect(missingKey.message).toContain("no values for 'b'");
    const ref = failure({
      columns: [
        col("n", "uniform", { low: 0, high: 1 }),
        col("t", "timedelta", { dt_min: 0, dt_max: 2, reference_column_name: "n" }),
      ],
    });
    expect(ref.message).toContain("not a datetime");
    const cond = failure({
      columns: [
        col("n", "poisson", { mean: 1 }, { conditional_params: { "agee > 3": { mean: 2 } } }),
        col("age", "uniform", { low: 0, high: 1 }),
      ],
    });
    expect(cond.path).toEqual(["conditional_params", "agee > 3"]);
    expect(cond.hint).toContain("did you mean 'age'?");
    const cycle = failure({
      columns: [
        col("a", "poisson", { mean: 1 }, { conditional_params: { "b > 1": { mean: 2 } } }),
        col("b", "poisson", { mean: 1 }, { conditional_params: { "a > 1": { mean: 2 } } }),
      ],
    });
    expect(cycle.message).toMatch(/cycle: (a -> b -> a|b -> a -> b)/);
    const self = failure({
      columns: [col("a", "poisson", { mean: 1 }, { conditional_params: { "a > 1": { mean: 2 } } })],
    });
    expect(self.message).toContain("reads the column itself");
    const notSampler = failure({
      columns: [
        col("a", "poisson", { mean: 1 }, { conditional_params: { "answer == 'x'": { mean: 2 } } }),
      ],
    });
    expect(notSampler.message).toContain("'answer' is not a sampler column");
  });

  it("an impossible constraint fails at creation with a clear message", () => {
    const e = failure({
      columns: [col("a", "uniform", { low: 0, high: 1 }), col("b", "uniform", { low: 5, high: 6 })],
      constraints: ["a > b"],
      maxAttempts: 200,
    });
    expect(e).toBeInstanceOf(ConstraintUnsatisfiableError);
    expect(e.code).toBe("DIGIT_SAMPLER_CONSTRAINT");
    expect(e.path).toEqual(["constraints", 0]);
    expect(e.message).toContain("constraint 'a > b' could not be met");
    expect(e.hint).toContain("'a' and 'b'");
  });

  it("conditional params cannot move a subcategory's parent", () => {
    const e = failure({
      columns: [
        raw("t", "category", { values: ["a"] }),
        raw(
          "s",
          "subcategory",
          { category: "t", values: { a: ["x"] } },
          {
            conditional_params: { "t == 'a'": { category: "other" } },
          },
        ),
      ],
    });
    expect(e.path).toEqual(["conditional_params", "t == 'a'", "category"]);
  });

  it("constraints that do not parse, name unknown columns or compare objects", () => {
    const person = failure({ columns: [col("p", "person", {})], constraints: ["p > 3"] });
    expect(person.message).toContain("a person sampler");
    expect(
      failure({ columns: [col("a", "poisson", { mean: 1 })], constraints: ["a << 3"] }).path,
    ).toEqual(["constraints", 0]);
    const unknown = failure({
      columns: [col("a", "poisson", { mean: 1 })],
      constraints: ["a < 3", "aa >= 1"],
    });
    expect(unknown.path).toEqual(["constraints", 1]);
    expect(unknown.hint).toContain("did you mean 'a'?");
  });

  it("diversity and correlation settings", () => {
    const cols = [
      col("c", "category", { values: ["x", "y"] }),
      col("u", "uniform", { low: 0, high: 1 }),
    ];
    expect(failure({ columns: cols, diversity_strategy: "maximise_coverage" }).hint).toContain(
      "did you mean 'maximize_coverage'?",
    );
    expect(
      failure({ columns: cols, diversity_strategy: "maximize_coverage", diversity_columns: ["u"] })
        .message,
    ).toContain("covers category samplers");
    expect(failure({ columns: cols, correlation_rules: [["u", "c", 0.3]] }).path).toEqual([
      "correlation_rules",
      0,
      0,
    ]);
    expect(failure({ columns: cols, correlation_rules: [["c", "u", 1.5]] }).path).toEqual([
      "correlation_rules",
      0,
      2,
    ]);
    const tooStrong = failure({ columns: cols, correlation_rules: [["c", "u", 0.95]] });
    expect(tooStrong.message).toContain("cannot be reached");
  });

  it("at() attaches a file and line and keeps the class, column and path", () => {
    const e = failure({ columns: [raw("c", "category", { values: ["a"], weights: [1, 1] })] });
    const located = e.at({ file: "tasks/x/task.yaml", line: 12 });
    expect(located).toBeInstanceOf(SamplerParamsError);
    expect(located.column).toBe("c");
    expect(located.path).toEqual(["params", "weights"]);
    expect(located.format()).toContain("(tasks/x/task.yaml:12)");
  });
});
