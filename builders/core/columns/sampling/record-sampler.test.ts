import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createRecordSampler, type SamplingSpec } from "./record-sampler.js";
import { samplerColumnSchema } from "./schema.js";
import { col, pearson } from "./test-helpers.js";

const support = (): SamplingSpec["columns"] => [
  col("category", "category", { values: ["billing", "technical", "shipping", "returns"] }),
  col("difficulty", "uniform", { low: 0.5, high: 5.5 }, { convert_to: "int" }),
  col("customer", "person", {}),
  col("opened", "datetime", { start: "2024-01-01", end: "2025-01-01", unit: "m" }),
  col("closed", "timedelta", { dt_min: 1, dt_max: 72, reference_column_name: "opened", unit: "h" }),
  col("ticket", "uuid", { prefix: "T-" }),
  col(
    "priority",
    "bernoulli",
    { p: 0.1 },
    { conditional_params: { "customer.age > 60": { p: 0.9 } } },
  ),
];

describe("createRecordSampler: determinism", () => {
  it("gives a record the same values on every run, whatever order records are asked for", () => {
    const spec = { columns: support(), seedKey: "42|support" };
    const a = createRecordSampler(spec);
    const forward = Array.from({ length: 50 }, (_, i) => a(i));
    const b = createRecordSampler(spec);
    const backward = Array.from({ length: 50 }, (_, i) => b(49 - i)).reverse();
    expect(backward).toEqual(forward);
    expect(b(17)).toEqual(forward[17]);
  });

  it("differs between seed keys and between records", () => {
    const a = createRecordSampler({ columns: support(), seedKey: "1|t" });
    const b = createRecordSampler({ columns: support(), seedKey: "2|t" });
    expect(a(0).ticket).not.toBe(b(0).ticket);
    expect(a(0).ticket).not.toBe(a(1).ticket);
  });

  it("keeps a column's values when another column is added", () => {
    const base = createRecordSampler({ columns: support().slice(0, 3), seedKey: "k" });
    const more = createRecordSampler({ columns: support(), seedKey: "k" });
    for (let i = 0; i < 20; i++) expect(more(i).customer).toEqual(base(i).customer);
  });
});

describe("conditional params", () => {
  it("uses the params of the first condition that holds, else the base params", () => {
    const sample = createRecordSampler({ columns: support(), seedKey: "cond" });
    let old = 0;
    let oldPriority = 0;
    let young = 0;
    let youngPriority = 0;
    for (let i = 0; i < 4000; i++) {
      const r = sample(i);
      const age = (r.customer as { age: number }).age;
      if (age > 60) {
        old++;
        oldPriority += r.priority as number;
      } else {
        young++;
        youngPriority += r.priority as number;
      }
    }
    expect(old).toBeGreaterThan(200);
    expect(oldPriority / old).toBeCloseTo(0.9, 1);
    expect(youngPriority / young).toBeCloseTo(0.1, 1);
  });

  it("reads category values, 'in' lists and 'and'", () => {
    const sample = createRecordSampler({
      seedKey: "cond2",
      columns: [
        col("tier", "category", { values: ["gold", "silver", "bronze"] }),
        col("n", "uniform", { low: 0, high: 1 }),
        col(
          "bonus",
          "category",
          { values: ["none"] },
          {
            conditional_params: {
              "tier == 'gold' and n < 0.5": { values: ["big"] },
              "tier in ['gold', 'silver']": { values: ["small"] },
            },
          },
        ),
      ],
    });
    for (let i = 0; i < 300; i++) {
      const r = sample(i);
      const want =
        r.tier === "gold" && (r.n as number) < 0.5 ? "big" : r.tier === "bronze" ? "none" : "small";
      expect(r.bonus).toBe(want);
    }
  });
});

describe("constraints (rejection sampling)", () => {
  it("holds on every record: column against column and against a number", () => {
    const sample = createRecordSampler({
      seedKey: "con",
      columns: [
        col("low", "uniform", { low: 0, high: 10 }),
        col("high", "uniform", { low: 0, high: 10 }),
      ],
      constraints: ["low < high", { target_column: "low", operator: "ge", rhs: 3 }],
    });
    for (let i = 0; i < 500; i++) {
      const r = sample(i) as { low: number; high: number };
      expect(r.low).toBeLessThan(r.high);
      expect(r.low).toBeGreaterThanOrEqual(3);
    }
  });

  it("is deterministic too", () => {
    const spec = {
      seedKey: "c",
      columns: [col("a", "poisson", { mean: 5 })],
      constraints: ["a >= 7"],
    };
    expect(createRecordSampler(spec)(9)).toEqual(createRecordSampler(spec)(9));
  });
});

describe("maximize_coverage", () => {
  it("deals every combination once per cycle before any repeats", () => {
    const sample = createRecordSampler({
      seedKey: "cov",
      columns: [
        col("category", "category", { values: ["a", "b", "c", "d"], weights: [10, 1, 1, 1] }),
        col("tone", "category", { values: ["calm", "angry", "confused"] }),
        col("other", "uniform", { low: 0, high: 1 }),
      ],
      diversity_strategy: "maximize_coverage",
      diversity_columns: ["category", "tone"],
    });
    const combos = Array.from({ length: 36 }, (_, i) => {
      const r = sample(i);
      return `${String(r.category)}/${String(r.tone)}`;
    });
    expect(new Set(combos.slice(0, 12)).size).toBe(12);
    expect(new Set(combos.slice(12, 24)).size).toBe(12);
    expect(new Set(combos.slice(24, 36)).size).toBe(12);
    expect(combos.slice(0, 12)).not.toEqual(combos.slice(12, 24));
  });

  it("covers every category column by default, and with a constraint on another column", () => {
    const sample = createRecordSampler({
      seedKey: "cov2",
      columns: [
        col("x", "category", { values: [1, 2, 3, 4, 5] }),
        col("y", "uniform", { low: 0, high: 1 }),
      ],
      diversity_strategy: "maximize_coverage",
      constraints: ["y < 0.5"],
    });
    const xs = Array.from({ length: 5 }, (_, i) => sample(i).x);
    expect(new Set(xs).size).toBe(5);
  });
});

describe("correlation rules (Gaussian copula)", () => {
  const observed = (
    strength: number,
    numeric: ReturnType<typeof col>,
    weights?: number[],
  ): number => {
    const values = ["billing", "technical", "shipping", "returns"];
    const sample = createRecordSampler({
      seedKey: `corr${strength}`,
      columns: [col("category", "category", { values, ...(weights ? { weights } : {}) }), numeric],
      correlation_rules: [["category", numeric.name, strength]],
    });
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 6000; i++) {
      const r = sample(i);
      xs.push(values.indexOf(r.category as string));
      ys.push(r[numeric.name] as number);
    }
    return pearson(xs, ys);
  };

  it("makes the category's order and an integer difficulty correlate at the strength", () => {
    const difficulty = col("difficulty", "uniform", { low: 0.5, high: 5.5 }, { convert_to: "int" });
    expect(Math.abs(observed(0.3, difficulty) - 0.3)).toBeLessThan(0.03);
    expect(Math.abs(observed(-0.6, difficulty) - -0.6)).toBeLessThan(0.03);
  });

  it("works for gaussian and poisson samplers and unequal weights", () => {
    expect(
      Math.abs(observed(0.5, col("g", "gaussian", { mean: 0, stddev: 1 }), [4, 3, 2, 1]) - 0.5),
    ).toBeLessThan(0.03);
    expect(Math.abs(observed(0.4, col("p", "poisson", { mean: 6 })) - 0.4)).toBeLessThan(0.03);
    expect(
      Math.abs(observed(-0.7, col("b", "binomial", { n: 8, p: 0.3 }), [1, 1, 1, 5]) - -0.7),
    ).toBeLessThan(0.03);
  });

  it("leaves the numeric column's marginal distribution unchanged", () => {
    const sample = createRecordSampler({
      seedKey: "marg",
      columns: [
        col("c", "category", { values: ["a", "b"] }),
        col("d", "uniform", { low: 0.5, high: 5.5 }, { convert_to: "int" }),
      ],
      correlation_rules: [["c", "d", 0.7]],
    });
    const ds = Array.from({ length: 5000 }, (_, i) => sample(i).d as number);
    for (const v of [1, 2, 3, 4, 5])
      expect(ds.filter((d) => d === v).length / ds.length).toBeCloseTo(0.2, 1);
  });

  it("strength 0 leaves them uncorrelated", () => {
    expect(Math.abs(observed(0, col("u", "uniform", { low: 0, high: 1 })))).toBeLessThan(0.03);
  });
});

describe("README.md", () => {
  it("its YAML example samples records that meet its constraint and cover its categories", () => {
    const md = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "README.md"), "utf8");
    const example = parse(/```yaml\n([\s\S]*?)```/.exec(md)![1]!) as Record<string, unknown>;
    const columns = (example.columns as unknown[]).map((c) => samplerColumnSchema.parse(c));
    const sample = createRecordSampler({
      ...(example as Omit<SamplingSpec, "columns" | "seedKey">),
      columns,
      seedKey: "readme",
    });
    const rows = Array.from({ length: 8 }, (_, i) => sample(i));
    for (const r of rows) expect(r.difficulty as number).toBeGreaterThanOrEqual(2);
    expect(new Set(rows.slice(0, 4).map((r) => r.category)).size).toBe(4);
  });
});
