import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";

describe("flatten_field", () => {
  it("emits one independent row per element", async () => {
    const { block } = await makeBlock("flatten_field", {
      input_map: { answers: "to_flatten" },
      output_map: { flattened: "answer" },
    });
    const out = await block.call([
      { q: "x", answers: ["a", "b"] },
      { q: "y", answers: "c" },
      { q: "z", answers: [] },
    ]);
    expect(out.map((r) => [r.q, r.answer])).toEqual([
      ["x", "a"],
      ["x", "b"],
      ["y", "c"],
    ]);
    // DiGiT's copies shared one caller row and overwrote each other; here each row is its own.
    expect(out[0]).not.toBe(out[1]);
    (out[0]!.q as string) += "!";
    expect(out[1]!.q).toBe("x");
  });
  it("default mapping writes to_flatten and flattened", async () => {
    const { block } = await makeBlock("flatten_field");
    expect(await block.call([{ to_flatten: [{ k: 1 }, { k: 2 }], id: "r" }])).toEqual([
      { to_flatten: [{ k: 1 }, { k: 2 }], id: "r", flattened: { k: 1 } },
      { to_flatten: [{ k: 1 }, { k: 2 }], id: "r", flattened: { k: 2 } },
    ]);
  });
});
