import { describe, expect, it } from "vitest";
import { capYoungGeneration, HEAP_GROWING_PERCENT, limitHeapGrowth } from "./gc-tuning.js";

describe("limitHeapGrowth", () => {
  it("sets the default percent when nobody chose one", () => {
    expect(limitHeapGrowth([], {})).toBe(HEAP_GROWING_PERCENT);
  });

  it("leaves a percent given on the node command line or in NODE_OPTIONS alone", () => {
    expect(limitHeapGrowth(["--heap-growing-percent=300"], {})).toBeUndefined();
    expect(limitHeapGrowth(["--heap_growing_percent=300"], {})).toBeUndefined();
    expect(
      limitHeapGrowth([], { NODE_OPTIONS: "--inspect --heap-growing-percent=300" }),
    ).toBeUndefined();
  });

  it("takes DIGIT_HEAP_GROWING_PERCENT, and 0 leaves V8's own rule", () => {
    expect(limitHeapGrowth([], { DIGIT_HEAP_GROWING_PERCENT: "50" })).toBe(50);
    expect(limitHeapGrowth([], { DIGIT_HEAP_GROWING_PERCENT: "0" })).toBeUndefined();
    expect(limitHeapGrowth([], { DIGIT_HEAP_GROWING_PERCENT: "lots" })).toBeUndefined();
  });
});

describe("capYoungGeneration", () => {
  it("watches the young generation on V8 13 and later only", () => {
    expect(capYoungGeneration([], {}, "12.4.254.21-node.33")).toBeUndefined();
    const stop = capYoungGeneration([], {}, "13.6.233.10-node.28");
    expect(stop).toBeTypeOf("function");
    stop?.();
  });

  it("leaves a young generation size the user chose alone", () => {
    const v8 = "13.6.233.10-node.28";
    expect(capYoungGeneration(["--max-semi-space-size=64"], {}, v8)).toBeUndefined();
    expect(capYoungGeneration([], { NODE_OPTIONS: "--max-semi-space-size=8" }, v8)).toBeUndefined();
    expect(capYoungGeneration(["--semi-space-growth-factor=4"], {}, v8)).toBeUndefined();
  });
});
