import { describe, expect, it } from "vitest";
import { classifyFailure } from "./retry.js";

const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("classifyFailure", () => {
  it("retries connection-level failures, including a response the HTTP parser rejects", () => {
    for (const code of [
      "ECONNRESET",
      "ECONNREFUSED",
      "HPE_INVALID_HEADER_TOKEN",
      "HPE_INVALID_CONSTANT",
    ]) {
      expect(classifyFailure(coded(code)), code).toMatchObject({
        kind: "connection",
        retryable: true,
      });
    }
    expect(
      classifyFailure(new Error("wrapped", { cause: coded("HPE_INVALID_CHUNK_SIZE") })),
    ).toMatchObject({ kind: "connection" });
  });

  it("does not retry what it cannot place", () => {
    expect(classifyFailure(coded("EWHATEVER", "something odd"))).toMatchObject({
      kind: "other",
      retryable: false,
    });
  });

  it("counts a body over the cap or in an unknown encoding as a malformed answer, not retried, also when an SDK wraps it", () => {
    for (const code of ["DIGIT_RESPONSE_TOO_LARGE", "DIGIT_UNSUPPORTED_ENCODING"]) {
      expect(classifyFailure(coded(code)), code).toMatchObject({ kind: "parse", retryable: false });
      const wrapped = Object.assign(new Error("Connection error.", { cause: coded(code) }), {
        name: "APIConnectionError",
      });
      expect(classifyFailure(wrapped), code).toMatchObject({ kind: "parse", retryable: false });
    }
  });
});
