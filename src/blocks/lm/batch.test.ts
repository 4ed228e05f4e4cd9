import { describe, expect, it } from "vitest";
import { choicesByPrompt, chunkByKey, paramsKey, splitEvenly } from "./batch.js";
import { classifyFailure } from "./retry.js";

describe("chunkByKey", () => {
  it("chunks equal keys up to the size, in order of first item; undefined keys stand alone", () => {
    const items = ["a1", "b1", "a2", "x1", "a3", "b2", "x2", "a4"];
    const key = (s: string) => (s[0] === "x" ? undefined : s[0]);
    expect(chunkByKey(items, key, 2)).toEqual([
      ["a1", "a2"],
      ["b1", "b2"],
      ["x1"],
      ["a3", "a4"],
      ["x2"],
    ]);
    expect(chunkByKey(items, key, 1)).toEqual(items.map((i) => [i]));
    expect(chunkByKey([], key, 10)).toEqual([]);
  });
});

describe("paramsKey", () => {
  it("ignores key order at every level and tells different values apart", () => {
    expect(paramsKey({ a: 1, b: { y: [1, { q: 1, p: 2 }], x: 2 } })).toBe(
      paramsKey({ b: { x: 2, y: [1, { p: 2, q: 1 }] }, a: 1 }),
    );
    expect(paramsKey({ stop: ["a", "b"] })).not.toBe(paramsKey({ stop: ["b", "a"] }));
    expect(paramsKey({ temperature: 0 })).not.toBe(paramsKey({ temperature: "0" }));
  });
});

describe("splitEvenly", () => {
  it("adds up to the total, the first rows taking the remainder", () => {
    expect(splitEvenly(11, 3)).toEqual([4, 4, 3]);
    expect(splitEvenly(2, 4)).toEqual([1, 1, 0, 0]);
    expect(splitEvenly(9, 3)).toEqual([3, 3, 3]);
    expect(splitEvenly(undefined, 2)).toEqual([undefined, undefined]);
    // Not a count: every row gets it as is, for the usage check to refuse (not a plausible 0).
    expect(splitEvenly(-3e12, 2)).toEqual([-3e12, -3e12]);
    expect(splitEvenly(2.5, 2)).toEqual([2.5, 2.5]);
    for (let total = 0; total < 50; total++)
      for (let parts = 1; parts < 12; parts++)
        expect(splitEvenly(total, parts).reduce((s, x) => s! + x!, 0)).toBe(total);
  });
});

describe("choicesByPrompt", () => {
  const c = (index: number) => ({ index, text: `t${index}` });

  it("gives prompt i the choices i·n … i·n + n − 1, whatever their order in the response", () => {
    expect(choicesByPrompt([c(3), c(0), c(2), c(1)], 2, 2)).toEqual([
      [c(0), c(1)],
      [c(2), c(3)],
    ]);
    expect(choicesByPrompt([c(1), c(0)], 2, 1)).toEqual([[c(0)], [c(1)]]);
  });

  it("rejects a wrong count or bad indexes as a parse failure", () => {
    const error = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      throw new Error("no error");
    };
    const short = error(() => choicesByPrompt([c(0), c(1), c(2)], 2, 2));
    expect(classifyFailure(short)).toMatchObject({ kind: "parse", retryable: true });
    expect((short as Error).message).toBe(
      "the endpoint returned 3 choices for 2 prompts × n=2 (expected 4)",
    );
    expect((error(() => choicesByPrompt([c(0), c(0)], 2, 1)) as Error).message).toBe(
      "the endpoint returned choice index 0 for 2 prompts × n=1 (expected each of 0..1 once)",
    );
    expect(classifyFailure(error(() => choicesByPrompt([c(0), c(5)], 2, 1)))).toMatchObject({
      kind: "parse",
    });
    expect((error(() => choicesByPrompt([], 1, 1)) as Error).message).toBe(
      "the endpoint returned 0 choices for n=1 (expected 1)",
    );
  });

  it("takes a single prompt's choices in index order even when numbered loosely", () => {
    expect(choicesByPrompt([c(0), c(0)], 1, 2)).toEqual([[c(0), c(0)]]);
    expect(choicesByPrompt([c(2), c(1)], 1, 2)).toEqual([[c(1), c(2)]]);
  });
});
