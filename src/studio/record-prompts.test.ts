import { describe, expect, it } from "vitest";
import { needlesOf } from "./record-prompts.js";

describe("the pieces of a record looked for in telemetry", () => {
  it("are found in a span line however often the text was escaped", () => {
    const record = {
      id: "a long id that says nothing about the content",
      task_name: "qa/with/a/long/task/name/here",
      question: 'Which river does the "Old Bridge" of the city cross?\nAnswer briefly.',
      answer: "The Great River, 40 km long.",
      tags: ["short"],
    };
    const needles = needlesOf(record);
    // The longest first: a question cut at its quotes, the answer whole.
    expect(needles).toEqual(["The Great River, 40 km long.", "Which river does the"]);
    // An answer recorded as one string, and n > 1 answers recorded as a JSON list.
    const once = JSON.stringify({ completion: `${record.question}\n${record.answer}` });
    const twice = JSON.stringify({ completion: JSON.stringify([record.question, record.answer]) });
    for (const line of [once, twice])
      for (const n of needles) expect(line.includes(n), `${n} in ${line}`).toBe(true);
  });

  it("leave out ids, task names, roles and text too short to tell requests apart", () => {
    expect(
      needlesOf({
        id: "0123456789abcdef0123",
        task_name: "public/examples/geography_qa",
        messages: [{ role: "assistant", content: "Yes." }],
      }),
    ).toEqual([]);
  });
});
