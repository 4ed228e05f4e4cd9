import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from "./heap-growth.js";

describe("limitHeapGrowth", () => {
  it("sets the default percent when nobody chose one", () => {
    expect(limitHeapGrowth([], {})).toBe(HEAP_GROWING_PERCENT);
  });

  it("leaves a percent given on the node command line alone", () => {
    expect(limitHeapGrowth(["--heap-growing-percent=300"], {})).toBeUndefined();
    expect(limitHeapGrowth(["--heap_growing_percent=300"], {})).toBeUndefined();
  });

  it("takes DIGIT_HEAP_GROWING_PERCENT, and 0 leaves V8's own rule", () => {
    expect(limitHeapGrowth([], { DIGIT_HEAP_GROWING_PERCENT: "50" })).toBe(50);
    expect(limitHeapGrowth([], { DIGIT_HEAP_GROWING_PERCENT: "0" })).toBeUndefined();
    expect(limitHeapGrowth([], { DIGIT_HEAP_GROWING_PERCENT: "lots" })).toBeUndefined();
  });
});
