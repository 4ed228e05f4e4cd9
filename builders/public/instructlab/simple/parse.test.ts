import { describe, expect, it } from "vitest";
import { parseInstructions, rejectInstruction, renderExamples } from "./parse.js";

describe("instructlab simple: prompt examples", () => {
  it("writes * Task blocks with <noinput> and the header of the next task", () => {
    const text = renderExamples([
      { instruction: "Add two and two together.", input: "", output: "4" },
      {
        instruction: "Summarise the text below.",
        input: "Cats sleep a lot.",
        output: "Cats are sleepy.",
      },
    ]);
    expect(text).toBe(
      "* Task 1\n** Instruction\nAdd two and two together.\n** Input\n<noinput>\n** Output\n4\n\n" +
        "* Task 2\n** Instruction\nSummarise the text below.\n** Input\nCats sleep a lot.\n** Output\nCats are sleepy.\n\n* Task 3\n",
    );
  });
});

describe("instructlab simple: parsing a completion", () => {
  it("parses the continuation of the open task and any further complete tasks", () => {
    const completion =
      "** Instruction\nName the process that turns water into vapour.\n** Input\n<noinput>\n** Output\nEvaporation.\n\n" +
      "* Task 4\n** Instruction: Explain why ice floats on liquid water.\n** Input: <noinput>\n** Output: Ice is less dense than water.";
    expect(parseInstructions(completion, 2)).toEqual([
      {
        instruction: "Name the process that turns water into vapour.",
        input: "",
        output: "Evaporation.",
      },
      {
        instruction: "Explain why ice floats on liquid water.",
        input: "",
        output: "Ice is less dense than water.",
      },
    ]);
  });
  it("drops chunks that lack a field, repeat one, or have no output", () => {
    expect(
      parseInstructions("** Instruction\nWhat colour is the sky today?\n** Output\nBlue", 1),
    ).toEqual([]);
    expect(
      parseInstructions(
        "** Instruction\nWhat colour is the sky today?\n** Input\nx\n** Input\ny\n** Output\nBlue",
        1,
      ),
    ).toEqual([]);
    expect(
      parseInstructions(
        "** Instruction\nWhat colour is the sky today?\n** Input\n<noinput>\n** Output\n",
        1,
      ),
    ).toEqual([]);
  });
  it("keeps a real input and drops unusable instructions", () => {
    const ok = parseInstructions(
      "** Instruction\nTranslate the sentence into French.\n** Input\nGood morning\n** Output\nBonjour",
      2,
    );
    expect(ok).toEqual([
      {
        instruction: "Translate the sentence into French.",
        input: "Good morning",
        output: "Bonjour",
      },
    ]);
    expect(
      parseInstructions(
        "** Instruction\nPlot the sales figures for 2020.\n** Input\n<noinput>\n** Output\nDone",
        2,
      ),
    ).toEqual([]);
  });
});

describe("instructlab simple: instruction filters", () => {
  it.each([
    ["Too short here", "too short"],
    [Array.from({ length: 151 }, () => "word").join(" "), "too long"],
    ["Please draw a horse in the snow", "mentions something a text model cannot do"],
    ["Look at the IMAGES and describe them", "mentions something a text model cannot do"],
    ["Tell me how to go   to the station from here", "mentions something a text model cannot do"],
    ["Write a program that sorts numbers", "asks for a program"],
    ['"Quoted" instructions are not wanted here', "starts with punctuation"],
    ["Élève: describe your school day in detail", "starts with a non-ASCII character"],
  ])("%s → %s", (instruction, reason) => {
    expect(rejectInstruction(instruction)).toBe(reason);
  });
  it("accepts ordinary instructions, including words that merely contain a deny-listed word", () => {
    expect(
      rejectInstruction("Explain the difference between a profile and a mapping function"),
    ).toBeUndefined();
    expect(rejectInstruction("Describe how a drawer is built from wood")).toBeUndefined();
  });
});
