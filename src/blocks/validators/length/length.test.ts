import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";
import { lengthOf } from "./index.js";

describe("length", () => {
  it("checks several fields by path and records the first failure", async () => {
    const { block, rejects } = await makeBlock("length", {
      filter: true,
      fields: {
        question: { min: 10, max: 60 },
        "answer.text": { min: 2, unit: "words" },
        tags: { max: 2 },
      },
    });
    const rows = [
      {
        id: 1,
        question: "What is the capital of France?",
        answer: { text: "It is Paris" },
        tags: ["geo"],
      },
      { id: 2, question: "Why?", answer: { text: "Because" }, tags: [] },
      { id: 3, question: "What is the capital of Spain?", answer: { text: "Madrid" }, tags: [] },
      {
        id: 4,
        question: "What is the capital of Italy?",
        answer: { text: "It is Rome" },
        tags: ["a", "b", "c"],
      },
      { id: 5, question: "What is the capital of Peru?" },
    ];
    const out = await block.call(rows);
    expect(out.map((r) => r.id)).toEqual([1]);
    expect(rejects.map((r) => [r.id, r.reason])).toEqual([
      [2, "question: 4 chars, fewer than min 10"],
      [3, "answer.text: 1 words, fewer than min 2"],
      [4, "tags: 3 items, more than max 2"],
      [5, "field 'answer.text' is missing"],
    ]);
    expect(rejects[0]).toMatchObject({
      block_name: "check",
      block_type: "length",
      metadata: { field: "question", length: 4 },
    });
  });

  it("shorthand form checks input (through input_map)", async () => {
    const { block } = await makeBlock("length", {
      input_map: { answer: "input" },
      max: 5,
      unit: "tokens",
    });
    const out = await block.call([{ answer: "one, two; three" }, { answer: "a b c d e f" }]);
    expect(out.map((r) => r.is_valid)).toEqual([true, false]);
  });

  it("counts characters, not UTF-16 units", () => {
    expect(lengthOf("👍🏽é", "chars")).toBe(3);
    expect(lengthOf("中文 text", "tokens")).toBe(3);
  });

  it("rejects unusable configs", async () => {
    await expect(makeBlock("length", {})).rejects.toThrow(/neither min nor max/);
    await expect(makeBlock("length", { min: 5, max: 2 })).rejects.toThrow(/min 5 > max 2/);
    await expect(makeBlock("length", { min: 1, fields: { a: { min: 1 } } })).rejects.toThrow(
      /not both/,
    );
    await expect(makeBlock("length", { fields: { a: { minimum: 1 } } })).rejects.toThrow(/minimum/);
    await expect(makeBlock("length", { fields: { "a[": { min: 1 } } })).rejects.toThrow(
      /bad field path/,
    );
  });
});
