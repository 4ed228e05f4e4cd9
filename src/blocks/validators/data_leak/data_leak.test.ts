import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";
import { aggregate, leakScore } from "./score.js";
import { normalizeWords, splitSentences } from "./text.js";

const SOURCE =
  "The lighthouse keeper climbed the spiral stairs every evening to light the great lamp. " +
  "Ships passing the rocky cape relied on its beam through the winter storms. " +
  "In spring the keeper painted the railings a bright shade of red.";
const COPIED = "Ships passing the rocky cape relied on its beam through the winter storms.";
const PARAPHRASED = "Sailors near the dangerous headland trusted the light when bad weather came.";
const PATCHWORK =
  "Every evening the keeper climbed the spiral stairs. He painted the railings a bright shade of red.";

describe("leak score", () => {
  it("is high for a verbatim copy, low for a paraphrase, and 0 for unrelated text", () => {
    const copied = leakScore(COPIED, [SOURCE]);
    const paraphrased = leakScore(PARAPHRASED, [SOURCE]);
    expect(copied).toBeGreaterThan(0.9);
    expect(paraphrased).toBeLessThan(0.3);
    expect(leakScore("Quantum chromodynamics describes gluons.", [SOURCE])).toBe(0);
  });

  it("counts fragments copied from several source sentences more than one of them", () => {
    const both = leakScore(PATCHWORK, [SOURCE]);
    const one = leakScore("He painted the railings a bright shade of red.", [SOURCE]);
    expect(both).toBeGreaterThan(one);
  });

  it("ignores case, punctuation and spacing", () => {
    const shouted =
      "SHIPS   passing the rocky cape, relied on its beam -- through the winter storms!";
    expect(leakScore(shouted, [SOURCE])).toBeCloseTo(leakScore(COPIED, [SOURCE]), 1);
  });

  it("does not count function words alone as a leak", () => {
    expect(leakScore("It was of the and to the.", [SOURCE])).toBeLessThan(0.1);
  });

  it("combines scores: best plus a share of the rest, capped at 1", () => {
    expect(aggregate([], 1)).toBe(0);
    expect(aggregate([0.4], 1)).toBe(0.4);
    expect(aggregate([0.5, 0.5], 1)).toBeCloseTo(0.5 + 0.5 * 0.25 * (1 - Math.exp(-1)), 4);
    expect(aggregate([1, 1, 1], 1)).toBe(1);
  });

  it("splits sentences but not at abbreviations or initials, and keeps times whole", () => {
    expect(splitSentences("Dr. Lee met J. Smith at 10 a.m. today. They left! Why?")).toEqual([
      "Dr. Lee met J. Smith at 10 a.m. today.",
      "They left!",
      "Why?",
    ]);
    expect(normalizeWords('At 10:30, "the" FOX.')).toEqual(["at", "10:30", "the", "fox"]);
  });
});

describe("validators/data_leak", () => {
  it("flags rows that copy their local_context and keeps the rest, with the score", async () => {
    const { block } = await makeBlock("validators/data_leak", {
      threshold: 0.55,
      input_map: { answer: "input", doc: "local_context" },
    });
    const out = await block.call([
      { answer: COPIED, doc: SOURCE },
      { answer: PARAPHRASED, doc: [SOURCE] },
    ]);
    expect(out.map((r) => r.is_valid)).toEqual([false, true]);
    expect((out[0]!.metadata as { score: number; reason: string }).reason).toMatch(
      /leak score 0\.\d+ reaches threshold 0\.55/,
    );
    expect((out[1]!.metadata as { score: number }).score).toBeLessThan(0.55);
    expect(out[0]!.doc).toBe(SOURCE); // fields pass through
  });

  it("with filter: removes leaking rows and records them with their reason", async () => {
    const { block, rejects } = await makeBlock("validators/data_leak", {
      threshold: 0.55,
      filter: true,
      context: [SOURCE],
    });
    const out = await block.call([{ input: PATCHWORK }, { input: PARAPHRASED }]);
    expect(out.map((r) => r.input)).toEqual([PARAPHRASED]);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ input: PATCHWORK, block_type: "validators/data_leak" });
  });

  it("a call's context takes precedence over each row's local_context", async () => {
    const { block } = await makeBlock("validators/data_leak", { threshold: 0.55 });
    const out = await block.call(
      [{ input: COPIED, local_context: "Unrelated words about cooking pasta." }],
      { context: [SOURCE] },
    );
    expect(out[0]!.is_valid).toBe(false);
  });

  it("checks nothing with DiGiT's default threshold above 1", async () => {
    const { block } = await makeBlock("validators/data_leak", { context: SOURCE });
    const out = await block.call([{ input: COPIED }]);
    expect(out[0]!.is_valid).toBe(true);
    expect(out[0]!.metadata).toBeUndefined();
  });

  it("reports a row without references, a bad call option and bad settings clearly", async () => {
    const { block } = await makeBlock("validators/data_leak", { threshold: 0.5 });
    await expect(block.call([{ input: COPIED }])).rejects.toThrow(/no reference text.*\n?/);
    await expect(block.call([{ input: COPIED }], { contxt: [SOURCE] })).rejects.toMatchObject({
      hint: expect.stringMatching(/did you mean 'context'/),
    });
    await expect(makeBlock("validators/data_leak", { score_leak_baseline: 2 })).rejects.toThrow(
      /score_leak_baseline/,
    );
    await expect(makeBlock("validators/data_leak", { treshold: 0.5 })).rejects.toMatchObject({
      hint: expect.stringMatching(/threshold/),
    });
  });
});
