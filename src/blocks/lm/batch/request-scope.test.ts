import { describe, expect, it } from "vitest";
import { runInBatchScope, scopedRequestKey } from "./request-scope.js";

const KEY = "9c1f".padEnd(40, "0");

describe("batch request scope", () => {
  it("leaves a request key as is outside any scope (a local run keeps its custom_ids)", () => {
    expect(scopedRequestKey(KEY)).toBe(KEY);
  });

  it("derives the key from the unit inside one: equal in every run of that unit, other units differ", async () => {
    const inUnit = (label: string) =>
      runInBatchScope(label, async () => {
        await new Promise((r) => setTimeout(r, 1));
        return scopedRequestKey(KEY);
      });
    const [a, again, b] = await Promise.all([
      inUnit("unit:r:1"),
      inUnit("unit:r:1"),
      inUnit("unit:r:2"),
    ]);
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(a).not.toBe(KEY);
    expect(again).toBe(a);
    expect(b).not.toBe(a);
  });
});
