import { describe, expect, it } from "vitest";
import { chunk, judgeScore } from "../shared/judge.js";
import { firstBlock, parseQuestions } from "./parse.js";

describe("skills parsing", () => {
  it("reads numbered tasks, joining continuation lines, up to the end of the example block", () => {
    expect(
      parseQuestions(
        " Name a bird\nthat cannot fly.\nTask 2: Name a fish.\n3) Name a tree.\n[/EXAMPLE]\nTask 4: ignored",
      ),
    ).toEqual(["Name a bird that cannot fly.", "Name a fish.", "Name a tree."]);
    expect(parseQuestions("1. One\n2. Two</s>3. Three")).toEqual(["One", "Two"]);
    expect(parseQuestions("")).toEqual([]);
  });
  it("takes a single answer up to the block end", () => {
    expect(firstBlock(" Paris is the capital.\n[/EXAMPLE]\n[EXAMPLE]\nmore")).toBe(
      "Paris is the capital.",
    );
  });
  it("reads the judge's last rating", () => {
    expect(judgeScore("Rating: 2 at first, but on reflection\nRating: 3")).toBe(3);
    expect(judgeScore("score = 0.5")).toBe(0.5);
    expect(judgeScore("**Rating:** 1")).toBe(1); // markdown bold around the label
    expect(judgeScore("no verdict")).toBeUndefined();
  });
  it("chunks examples into prompt groups", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});
