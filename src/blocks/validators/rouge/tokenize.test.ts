import { describe, expect, it } from "vitest";
import { Random } from "../../../util/random.js";
import { tokenize, Vocabulary } from "./tokenize.js";

// DiGiT's rule for the rouge_score tokenizer, written out literally.
const digitTokens = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .split(/\s+/)
    .filter((t) => /^[a-z0-9]+$/.test(t));

describe("tokenize: ASCII parity with DiGiT", () => {
  it.each([
    ["I went to the store yesterday", ["i", "went", "to", "the", "store", "yesterday"]],
    ["Hello, World! It's 3:45pm.", ["hello", "world", "it", "s", "3", "45pm"]],
    ["snake_case-and-kebab", ["snake", "case", "and", "kebab"]],
    ["ABC123def", ["abc123def"]],
    ["e-mail: a.b@c.com", ["e", "mail", "a", "b", "c", "com"]],
    ["  \t\n ", []],
    ["", []],
    ["What is 2+2?\nFour.", ["what", "is", "2", "2", "four"]],
  ])("%j", (text, expected) => {
    expect(tokenize(text)).toEqual(expected);
    expect(digitTokens(text)).toEqual(expected);
  });

  it("matches the rule on random printable ASCII", () => {
    const rng = new Random(7);
    const alphabet =
      " \t\n!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    for (let k = 0; k < 2000; k++) {
      let s = "";
      const len = rng.int(40);
      for (let c = 0; c < len; c++) s += alphabet[rng.int(alphabet.length)];
      expect(tokenize(s)).toEqual(digitTokens(s));
    }
  });
});

describe("tokenize: beyond ASCII", () => {
  it("keeps accented letters inside words (French)", () => {
    expect(tokenize("Où est la gare ? Ça coûte 10 €.")).toEqual([
      "où",
      "est",
      "la",
      "gare",
      "ça",
      "coûte",
      "10",
    ]);
    // DiGiT would give ["o", "est", "la", "gare", "a", "co", "te", "10"]
    expect(digitTokens("Où est la gare ? Ça coûte 10 €.")).toEqual([
      "o",
      "est",
      "la",
      "gare",
      "a",
      "co",
      "te",
      "10",
    ]);
  });
  it("normalises combining accents (NFC) so both spellings match", () => {
    expect(tokenize("e\u0301te\u0301")).toEqual(tokenize("\u00e9t\u00e9"));
  });
  it("splits Chinese, Japanese kana, Korean and Thai per character", () => {
    expect(tokenize("我爱北京")).toEqual(["我", "爱", "北", "京"]);
    expect(tokenize("東京はどこ")).toEqual(["東", "京", "は", "ど", "こ"]);
    expect(tokenize("한국어")).toEqual(["한", "국", "어"]);
    expect(tokenize("สวัสดี")).toEqual(["ส", "วั", "ส", "ดี"]);
  });
  it("separates scripts written together", () => {
    expect(tokenize("GPT4模型很好")).toEqual(["gpt4", "模", "型", "很", "好"]);
  });
  it("lower-cases other alphabets", () => {
    expect(tokenize("ΑΘΗΝΑ Москва")).toEqual(["αθηνα", "москва"]);
  });
  it("treats emoji and symbols as separators", () => {
    expect(tokenize("Great🎉job 👍🏽!")).toEqual(["great", "job"]);
    expect(tokenize("🎉🎉")).toEqual([]);
  });
});

describe("Vocabulary", () => {
  it("gives each distinct token one stable id", () => {
    const v = new Vocabulary();
    expect([...v.encode("a b A c")]).toEqual([0, 1, 0, 2]);
    expect([...v.encode("c a")]).toEqual([2, 0]);
    expect(v.size).toBe(3);
  });
});
