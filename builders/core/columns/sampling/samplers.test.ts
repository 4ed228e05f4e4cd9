import { describe, expect, it } from "vitest";
import { personLocales } from "./person.js";
import { createRecordSampler } from "./record-sampler.js";
import type { SamplerColumn } from "./schema.js";
import { col, moments } from "./test-helpers.js";

const N = 20_000;

function draws(column: SamplerColumn, n = N): unknown[] {
  const sample = createRecordSampler({ columns: [column], seedKey: "dist" });
  return Array.from({ length: n }, (_, i) => sample(i)[column.name]);
}

function numbers(column: SamplerColumn, n = N): number[] {
  const xs = draws(column, n);
  expect(xs.filter((v) => typeof v !== "number")).toEqual([]);
  return xs as number[];
}

describe("sampler distributions (seeded, large n)", () => {
  it("category follows its weights and only yields its values", () => {
    const xs = draws(col("c", "category", { values: ["a", "b", "c"], weights: [1, 2, 7] }));
    const share = (v: string): number => xs.filter((x) => x === v).length / xs.length;
    expect(new Set(xs)).toEqual(new Set(["a", "b", "c"]));
    expect(share("a")).toBeCloseTo(0.1, 1);
    expect(share("b")).toBeCloseTo(0.2, 1);
    expect(share("c")).toBeCloseTo(0.7, 1);
  });

  it("category without weights is uniform; a zero weight never comes up", () => {
    const xs = draws(col("c", "category", { values: [1, 2, 3, 4] }), 8000);
    for (const v of [1, 2, 3, 4])
      expect(xs.filter((x) => x === v).length / xs.length).toBeCloseTo(0.25, 1);
    const ys = draws(col("c", "category", { values: ["x", "y"], weights: [0, 1] }), 500);
    expect(ys.every((y) => y === "y")).toBe(true);
  });

  it("subcategory draws from the list of its parent's value", () => {
    const sample = createRecordSampler({
      seedKey: "sub",
      columns: [
        col("topic", "category", { values: ["fruit", "tool"] }),
        col("item", "subcategory", {
          category: "topic",
          values: { fruit: ["apple", "pear"], tool: ["saw"] },
        }),
      ],
    });
    const rows = Array.from({ length: 2000 }, (_, i) => sample(i));
    for (const r of rows)
      expect(r.topic === "fruit" ? ["apple", "pear"] : ["saw"]).toContain(r.item);
    expect(new Set(rows.map((r) => r.item))).toEqual(new Set(["apple", "pear", "saw"]));
  });

  it("uniform: mean (a+b)/2, variance (b-a)²/12, within [low, high)", () => {
    const xs = numbers(col("u", "uniform", { low: 2, high: 8 }));
    const m = moments(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...xs)).toBeLessThan(8);
    expect(m.mean).toBeCloseTo(5, 1);
    expect(m.variance).toBeCloseTo(3, 1);
  });

  it("uniform with decimal_places rounds", () => {
    const xs = numbers(col("u", "uniform", { low: 0, high: 1, decimal_places: 2 }), 200);
    for (const x of xs) expect(Math.round(x * 100) / 100).toBe(x);
  });

  it("gaussian: mean and variance", () => {
    const m = moments(numbers(col("g", "gaussian", { mean: 10, stddev: 3 })));
    expect(m.mean).toBeCloseTo(10, 1);
    expect(m.variance / 9).toBeGreaterThan(0.95);
    expect(m.variance / 9).toBeLessThan(1.05);
  });

  it("poisson: integers, mean = variance, also for a large mean", () => {
    for (const mean of [0.7, 4, 2500]) {
      const xs = numbers(col("p", "poisson", { mean }), 10_000);
      for (const x of xs.slice(0, 100)) expect(Number.isInteger(x) && x >= 0).toBe(true);
      const m = moments(xs);
      expect(Math.abs(m.mean - mean) / Math.sqrt(mean / 10_000)).toBeLessThan(4.5);
      expect(m.variance / mean).toBeGreaterThan(0.94);
      expect(m.variance / mean).toBeLessThan(1.06);
    }
  });

  it("binomial: mean np, variance np(1-p), within 0..n", () => {
    for (const [n, p] of [
      [10, 0.3],
      [2000, 0.9],
    ] as const) {
      const xs = numbers(col("b", "binomial", { n, p }), 10_000);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...xs)).toBeLessThanOrEqual(n);
      const m = moments(xs);
      expect(Math.abs(m.mean - n * p) / Math.sqrt((n * p * (1 - p)) / 10_000)).toBeLessThan(4.5);
      expect(m.variance / (n * p * (1 - p))).toBeGreaterThan(0.94);
      expect(m.variance / (n * p * (1 - p))).toBeLessThan(1.06);
    }
  });

  it("bernoulli: 0/1 with mean p", () => {
    const xs = numbers(col("b", "bernoulli", { p: 0.25 }));
    expect(new Set(xs)).toEqual(new Set([0, 1]));
    expect(moments(xs).mean).toBeCloseTo(0.25, 1);
  });

  it("uuid: v4 shape, distinct, with prefix / short_form / uppercase", () => {
    const ids = draws(col("id", "uuid"), 2000) as string[];
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    const short = draws(
      col("id", "uuid", { prefix: "T-", short_form: true, uppercase: true }),
      20,
    ) as string[];
    for (const id of short) expect(id).toMatch(/^T-[0-9A-F]{8}$/);
  });

  it("datetime: within [start, end), truncated to the unit, convert_to a strftime format", () => {
    const xs = draws(
      col("d", "datetime", { start: "2024-01-01", end: "2024-03-01", unit: "D" }),
      3000,
    ) as string[];
    for (const x of xs) {
      expect(x).toMatch(/^2024-0[12]-\d\dT00:00:00Z$/);
    }
    const days = new Set(xs.map((x) => x.slice(0, 10)));
    expect(days.size).toBeGreaterThan(55);
    const hours = draws(
      col(
        "d",
        "datetime",
        { start: "2024-01-01T00:00:00Z", end: "2024-01-02T00:00:00Z", unit: "h" },
        { convert_to: "%d/%m/%Y %H:%M" },
      ),
      500,
    ) as string[];
    for (const h of hours) expect(h).toMatch(/^01\/01\/2024 \d\d:00$/);
    expect(new Set(hours).size).toBe(24);
  });

  it("timedelta: the reference plus dt_min..dt_max-1 units", () => {
    const sample = createRecordSampler({
      seedKey: "td",
      columns: [
        col("start", "datetime", { start: "2024-01-01", end: "2024-12-01" }),
        col(
          "end",
          "timedelta",
          { dt_min: 2, dt_max: 5, reference_column_name: "start", unit: "D" },
          { convert_to: "%Y-%m-%d" },
        ),
      ],
    });
    const gaps = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const r = sample(i);
      const gap =
        (Date.parse(`${r.end as string}T00:00:00Z`) - Date.parse(r.start as string)) / 86_400_000;
      gaps.add(gap);
    }
    expect(gaps).toEqual(new Set([2, 3, 4]));
  });

  it("person: names, sex, age in range, city and email from the shipped dataset", () => {
    expect(personLocales()).toContain("en_US");
    const people = draws(col("p", "person", { age_range: [30, 39] }), 3000) as Array<
      Record<string, unknown>
    >;
    for (const p of people) {
      expect(p.age as number).toBeGreaterThanOrEqual(30);
      expect(p.age as number).toBeLessThanOrEqual(39);
      expect(["Female", "Male"]).toContain(p.sex);
      expect(p.email_address).toMatch(/^[a-z0-9._]+@[a-z.]+$/);
      expect(
        typeof p.first_name === "string" &&
          typeof p.city === "string" &&
          typeof p.state === "string",
      ).toBe(true);
    }
    const women = people.filter((p) => p.sex === "Female").length / people.length;
    expect(women).toBeCloseTo(0.5, 1);
    expect(new Set(people.map((p) => p.city)).size).toBeGreaterThan(30);
    const filtered = draws(
      col("p", "person", { sex: "Male", city: ["Boise", "Fargo"] }),
      300,
    ) as Array<Record<string, unknown>>;
    for (const p of filtered) {
      expect(p.sex).toBe("Male");
      expect(["Boise", "Fargo"]).toContain(p.city);
    }
  });

  it("convert_to: int rounds, str stringifies, float keeps", () => {
    const ints = numbers(col("x", "uniform", { low: 0.5, high: 5.5 }, { convert_to: "int" }), 5000);
    expect(new Set(ints)).toEqual(new Set([1, 2, 3, 4, 5]));
    for (const v of [1, 5])
      expect(ints.filter((x) => x === v).length / ints.length).toBeCloseTo(0.2, 1);
    const strs = draws(col("x", "binomial", { n: 3, p: 0.5 }, { convert_to: "str" }), 200);
    for (const s of strs) expect(["0", "1", "2", "3"]).toContain(s);
    const floats = draws(
      col("x", "category", { values: ["1.5", "2"] }, { convert_to: "float" }),
      50,
    );
    for (const f of floats) expect([1.5, 2]).toContain(f);
  });
});
