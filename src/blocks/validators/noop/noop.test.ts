import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";

describe("noop", () => {
  it("accepts every row and marks it valid", async () => {
    const { block, rejects } = await makeBlock("noop", { filter: true });
    const out = await block.call([{ input: "a", x: 1 }, { input: null }]);
    expect(out).toEqual([
      { input: "a", x: 1, is_valid: true },
      { input: null, is_valid: true },
    ]);
    expect(rejects).toEqual([]);
  });
  it("requires its input field, like DiGiT", async () => {
    const { block } = await makeBlock("noop");
    await expect(block.call([{ other: 1 }])).rejects.toMatchObject({ code: "DIGIT_BLOCK_INPUT" });
  });
});
