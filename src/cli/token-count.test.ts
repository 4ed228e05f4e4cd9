import { describe, expect, it } from "vitest";
import { countTokens, tokenizerFor } from "./token-count.js";

describe("countTokens", () => {
  it("uses OpenAI's encodings for OpenAI models and 4 characters a token elsewhere", () => {
    expect(tokenizerFor("gpt-4o-mini")).toBe("o200k_base");
    expect(tokenizerFor("gpt-3.5-turbo")).toBe("cl100k_base");
    expect(tokenizerFor("granite4:3b")).toBeUndefined();
    expect(countTokens("gpt-4o-mini", "hello world")).toBe(2);
    expect(countTokens("gpt-4o-mini", "antidisestablishmentarianism")).toBeGreaterThan(1);
    expect(countTokens("granite4:3b", "x".repeat(41))).toBe(11);
  });
});
