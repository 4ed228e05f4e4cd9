import { describe, expect, it } from "vitest";
import { EndpointUnusableError } from "../../errors.js";
import { REFUSALS_BEFORE_GIVING_UP, RefusalWatch } from "./refusals.js";
import type { Failure } from "./retry.js";

const refused: Failure = {
  kind: "connection",
  retryable: true,
  message: "connect ECONNREFUSED 127.0.0.1:1",
};
const unauthorized: Failure = {
  kind: "4xx",
  retryable: false,
  status: 401,
  message: "401 Incorrect API key",
};
const serverError: Failure = { kind: "5xx", retryable: true, status: 500, message: "500 boom" };
const block = { block: "generator", type: "openai", url: "http://127.0.0.1:1/v1" };

function watchAfter(failures: Failure[], answeredFirst = false): RefusalWatch {
  const w = new RefusalWatch();
  if (answeredFirst) w.succeeded();
  for (const f of failures) w.failed(f);
  return w;
}

describe("RefusalWatch", () => {
  it("gives up when the first requests were all refused, naming the URL, the cause and a fix", () => {
    const w = watchAfter(Array(REFUSALS_BEFORE_GIVING_UP).fill(unauthorized));
    expect(() => w.check(block)).toThrow(EndpointUnusableError);
    expect(() => w.check(block)).toThrow(
      /at http:\/\/127\.0\.0\.1:1\/v1 answered none of the first 8 requests: 401 Incorrect API key/,
    );
    try {
      w.check(block);
    } catch (e) {
      expect((e as EndpointUnusableError).hint).toMatch(/API key/);
    }
    expect(() => watchAfter(Array(REFUSALS_BEFORE_GIVING_UP).fill(refused)).check(block)).toThrow(
      /ECONNREFUSED/,
    );
  });

  it("does not give up before enough refusals, after any answer, or on failures that are not refusals", () => {
    expect(() =>
      watchAfter(Array(REFUSALS_BEFORE_GIVING_UP - 1).fill(refused)).check(block),
    ).not.toThrow();
    expect(() => watchAfter(Array(20).fill(refused), true).check(block)).not.toThrow();
    expect(() => watchAfter(Array(20).fill(serverError)).check(block)).not.toThrow();
    expect(() =>
      watchAfter(Array(20).fill({ ...unauthorized, status: 400 })).check(block),
    ).not.toThrow();
  });
});
