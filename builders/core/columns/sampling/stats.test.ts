import { describe, expect, it } from "vitest";
import { convertValue, strftime } from "./convert.js";
import { binomialQuantile, logGamma, normalCdf, normalQuantile, poissonQuantile } from "./stats.js";

describe("numeric helpers", () => {
  it("normal CDF and its inverse agree with known values and with each other", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 9);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 6);
    for (const p of [0.001, 0.2, 0.5, 0.8, 0.999])
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });

  it("log-gamma gives factorials", () => {
    expect(Math.exp(logGamma(5))).toBeCloseTo(24, 9);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 8);
  });

  it("Poisson and binomial quantiles are the smallest k with CDF(k) >= u", () => {
    // Poisson(2): CDF(0) = 0.1353, CDF(1) = 0.4060, CDF(2) = 0.6767.
    expect(poissonQuantile(2, 0.1)).toBe(0);
    expect(poissonQuantile(2, 0.2)).toBe(1);
    expect(poissonQuantile(2, 0.5)).toBe(2);
    expect(poissonQuantile(0, 0.9)).toBe(0);
    // Binomial(4, 0.5): CDF = 1/16, 5/16, 11/16, 15/16, 1.
    expect(binomialQuantile(4, 0.5, 0.05)).toBe(0);
    expect(binomialQuantile(4, 0.5, 0.3)).toBe(1);
    expect(binomialQuantile(4, 0.5, 0.9)).toBe(3);
    expect(binomialQuantile(4, 0.5, 0.99)).toBe(4);
    expect(binomialQuantile(7, 1, 0.5)).toBe(7);
    // A mean whose pmf(0) underflows still works.
    expect(poissonQuantile(5000, 0.5)).toBeGreaterThan(4990);
    expect(poissonQuantile(5000, 0.5)).toBeLessThan(5010);
  });
});

describe("convert_to", () => {
  it("formats datetimes with strftime directives and ISO by default", () => {
    const d = new Date("2024-02-03T14:05:06Z");
    expect(strftime(d, "%Y-%m-%d %H:%M:%S")).toBe("2024-02-03 14:05:06");
    expect(strftime(d, "%a %d %b %y, %I %p, day %j, %A %B %%")).toBe(
      "Sat 03 Feb 24, 02 PM, day 034, Saturday February %",
    );
    expect(convertValue(d, undefined)).toBe("2024-02-03T14:05:06Z");
    expect(convertValue(d, "str")).toBe("2024-02-03T14:05:06Z");
  });

  it("converts numbers and numeric strings", () => {
    expect(convertValue(2.5, "int")).toBe(3);
    expect(convertValue("7", "int")).toBe(7);
    expect(convertValue(3, "str")).toBe("3");
    expect(convertValue(true, "float")).toBe(1);
    expect(convertValue(1.25, undefined)).toBe(1.25);
  });
});
