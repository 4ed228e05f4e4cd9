import { describe, expect, it } from "vitest";
import {
  chunkDocument,
  flattenDocuments,
  fuseShortTail,
  prepareDocuments,
  removeReferences,
} from "./documents.js";
import { faithful, parseKnowledgeQA, relevant, verified } from "./parse.js";

describe("knowledge [Question]/[Answer]/[End] parsing", () => {
  it("reads every complete pair and drops a last pair cut off before [End]", () => {
    const reply =
      "Intro\n[Question] What is A?\n[Answer] A is first.\n[End]\n[Question] What is B?\n[Answer] B is second,\nover two lines.\n[End]\n[Question] What is C?\n[Answer] C is cut";
    expect(parseKnowledgeQA(reply)).toEqual([
      { question: "What is A?", answer: "A is first." },
      { question: "What is B?", answer: "B is second,\nover two lines." },
    ]);
  });
  it("keeps a middle pair that lacks [End] and drops pairs with an empty side or no answer", () => {
    expect(
      parseKnowledgeQA("[Question] Q1\n[Answer] A1\n[Question] Q2\n[Answer] A2\n[End]"),
    ).toEqual([
      { question: "Q1", answer: "A1" },
      { question: "Q2", answer: "A2" },
    ]);
    expect(
      parseKnowledgeQA("[Question] only a question\n[End]\n[Question] \n[Answer] x\n[End]"),
    ).toEqual([]);
    expect(parseKnowledgeQA("no pairs here")).toEqual([]);
  });
  it("reads the three judge verdicts", () => {
    expect(faithful("step by step...\n**Answer:** Yes")).toBe(true);
    expect(faithful("Answer: no")).toBe(false);
    expect(faithful("I think yes")).toBe(false);
    expect(relevant("Total Score: 2/2")).toBe(true);
    expect(relevant("Total Score: 1/2")).toBe(false);
    expect(verified("Rating: 0 ... on reflection Rating: 1")).toBe(true);
    expect(verified("Rating: 0")).toBe(false);
  });
});

describe("knowledge documents", () => {
  it("flattens groups of strings, lists and {content} dicts", () => {
    const docs = flattenDocuments(
      { a: "one", b: ["two", { content: "three", source: "s" }], c: { content: "four" }, d: 5 },
      "dom",
    );
    expect(docs.map((d) => [d.group, d.content])).toEqual([
      ["a", "one"],
      ["b", "two"],
      ["b", "three"],
      ["c", "four"],
    ]);
    expect(docs[2]).toMatchObject({ source: "s", domain: "dom" });
  });
  it("removes the references section and keeps the body (DiGiT kept the references instead)", () => {
    expect(removeReferences("Body.\n\nReferences\n[1] X")).toBe("Body.");
    expect(removeReferences("Body.\n## Bibliography:\nY")).toBe("Body.");
    expect(removeReferences("These references in a sentence stay.")).toBe(
      "These references in a sentence stay.",
    );
  });
  it("chunks long documents into separate word chunks (DiGiT made every chunk the last one)", () => {
    const chunks = chunkDocument({ content: "a b c d e", domain: "x", group: "g" }, 2);
    expect(chunks.map((c) => c.content)).toEqual(["a b", "c d", "e"]);
    expect(chunks.map((c) => c.chunk_index)).toEqual([0, 1, 2]);
    expect(new Set(chunks).size).toBe(3);
    expect(chunkDocument({ content: "a b", domain: "x", group: "g" }, -1)).toHaveLength(1);
    expect(
      prepareDocuments(
        [{ content: "w1 w2 w3\nReferences\nr" }, { content: "References\nonly" }],
        "d",
        2,
      ).map((c) => c.content),
    ).toEqual(["w1 w2", "w3"]);
  });
  it("joins a last chunk of at most 300 words to the one before, as DiGiT's fuse_texts", () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");
    const sizes = (n: number, size: number) =>
      prepareDocuments([{ content: words(n) }], "d", size).map((c) => c.content.split(" ").length);
    expect(sizes(657, 600)).toEqual([657]);
    expect(sizes(963, 600)).toEqual([600, 363]);
    expect(sizes(1500, 600)).toEqual([600, 900]);
    // At chunk_size 300 or less DiGiT fused every chunk back into one; the chunks stay here.
    expect(sizes(250, 200)).toEqual([200, 50]);
    const doc = { content: words(657), domain: "x", group: "g" };
    const [fused] = fuseShortTail(chunkDocument(doc, 600), 600);
    expect(fused).toMatchObject({ content: doc.content, chunk_index: 0, group: "g" });
  });
});
