import { describe, expect, it } from "vitest";
import type { LMResponse } from "./provider.js";
import { dropUsage, MAX_TOKENS_PER_REQUEST, usageProblem } from "./usage.js";

const answer = (prompt_tokens: unknown, completion_tokens: unknown): LMResponse =>
  ({ outputs: ["x"], prompt_tokens, completion_tokens }) as LMResponse;

describe("usageProblem", () => {
  it("accepts whole counts from 0 to the bound, and absent ones", () => {
    expect(usageProblem([answer(0, MAX_TOKENS_PER_REQUEST)])).toBeUndefined();
    expect(usageProblem([answer(undefined, null)])).toBeUndefined();
  });

  it("names the field and value of a count that is negative, fractional, not a number or too large", () => {
    expect(usageProblem([answer(-3e12, 1)])).toMatch(
      /^prompt_tokens -3000000000000 is not a token count/,
    );
    expect(usageProblem([answer(1, 0.5)])).toMatch(/^completion_tokens 0\.5/);
    expect(usageProblem([answer(1, Number.NaN)])).toMatch(/^completion_tokens NaN/);
    expect(usageProblem([answer("1\u001b[2J", 1)])).toMatch(/^prompt_tokens "1\\u001b\[2J"/);
    expect(usageProblem([answer(1, MAX_TOKENS_PER_REQUEST + 1)])).toMatch(/^completion_tokens/);
  });

  it("bounds the sum over a batched request's answers", () => {
    const half = MAX_TOKENS_PER_REQUEST / 2;
    expect(usageProblem([answer(half, 0), answer(half, 0)])).toBeUndefined();
    expect(usageProblem([answer(half, 0), answer(half + 1, 0)])).toMatch(
      /add up to 10000001 over the request's 2 prompts/,
    );
  });

  it("dropUsage makes the counts unknown", () => {
    const list = [answer(-1, 2)];
    dropUsage(list);
    expect(list[0]).toEqual({
      outputs: ["x"],
      prompt_tokens: undefined,
      completion_tokens: undefined,
    });
  });
});
