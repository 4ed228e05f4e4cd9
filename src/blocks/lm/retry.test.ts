import { describe, expect, it } from "vitest";
import { classifyFailure } from "./retry.js";

const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("classifyFailure", () => {
  it("retries connection-level failures, including a response the HTTP parser rejects", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "HPE_INVALID_HEADER_TOKEN", "HPE_INVALID_CONSTANT"]) {
      expect(classifyFailure(coded(code)), code).toMatchObject({ kind: "connection", retryable: true });
    }
    expect(classifyFailure(new Error("wrapped", { cause: coded("HPE_INVALID_CHUNK_SIZE") }))).toMatchObject({ kind: "connection" });
  });

  it("does not retry what it cannot place", () => {
    expect(classifyFailure(coded("DIGIT_RESPONSE_TOO_LARGE", "response body larger than 64 MiB"))).toMatchObject({ kind: "other", retryable: false });
  });
});
