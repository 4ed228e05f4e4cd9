import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";

describe("regex", () => {
  it("requires matches, forbids inverted ones, and anchors with full", async () => {
    const { block, rejects } = await makeBlock("regex", {
      filter: true,
      fields: {
        question: { pattern: "\\?\\s*$" },
        answer: { pattern: "as an ai", flags: "i", invert: true },
        code: { pattern: "[A-Z]{2}\\d+", full: true },
      },
    });
    const out = await block.call([
      { id: 1, question: "Where?", answer: "Here.", code: "FR12" },
      { id: 2, question: "Where.", answer: "Here.", code: "FR12" },
      { id: 3, question: "Where?", answer: "As an AI, I cannot", code: "FR12" },
      { id: 4, question: "Where?", answer: "Here.", code: "xFR12" },
    ]);
    expect(out.map((r) => r.id)).toEqual([1]);
    expect(rejects.map((r) => r.reason)).toEqual([
      "question: does not match /\\?\\s*$/",
      "answer: matches /as an ai/i, which is not allowed",
      "code: does not match /[A-Z]{2}\\d+/ (whole value)",
    ]);
  });
  it("shorthand on input; non-string values are matched as JSON", async () => {
    const { block } = await makeBlock("regex", { pattern: '"ok":true' });
    expect(
      (await block.call([{ input: { ok: true } }, { input: { ok: false } }])).map(
        (r) => r.is_valid,
      ),
    ).toEqual([true, false]);
  });
  it("reports bad patterns and flags at construction", async () => {
    await expect(makeBlock("regex", { pattern: "(" })).rejects.toThrow(
      /not a valid regular expression/,
    );
    await expect(
      makeBlock("regex", { fields: { a: { pattern: "x", flags: "g" } } }),
    ).rejects.toThrow(/allowed flags/);
  });
});
