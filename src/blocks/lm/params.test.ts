import { describe, expect, it } from "vitest";
import { cutAtStops, resolveParams, stopList } from "./params.js";
import { payloadPolicy, redact } from "./payload.js";
import { backoffDelay, classifyFailure, retryAfter } from "./retry.js";

const chat = {
  known: ["max_completion_tokens", "temperature", "stop"],
  aliases: { max_completion_tokens: ["max_tokens", "max_new_tokens"], stop: ["stop_sequences"] },
  accepted: ["max_length"],
};

describe("resolveParams", () => {
  it("renames aliases (canonical first, then the first alias set) and reports unknown keys", () => {
    expect(
      resolveParams({ max_new_tokens: 5, num_ctx: 8, max_length: 100, temperature: 0 }, chat),
    ).toEqual({ params: { max_completion_tokens: 5, temperature: 0 }, ignored: ["num_ctx"] });
    expect(resolveParams({ max_tokens: 3, max_new_tokens: 5 }, chat).params).toEqual({
      max_completion_tokens: 3,
    });
    expect(resolveParams({ max_completion_tokens: 9, max_tokens: 3 }, chat).params).toEqual({
      max_completion_tokens: 9,
    });
    expect(resolveParams({ stop_sequences: ["\n"], temperature: null }, chat).params).toEqual({
      stop: ["\n"],
    });
  });
});

describe("stops", () => {
  it("treats a string as one stop sequence, not a list of characters", () => {
    expect(stopList("END")).toEqual(["END"]);
    expect(cutAtStops("abc END def", stopList("END"))).toBe("abc ");
    expect(cutAtStops("a\nb###c", ["###", "\n"])).toBe("a");
  });
});

describe("retry policy", () => {
  it("classifies statuses and errors", () => {
    const h = new Headers({ "retry-after-ms": "250" });
    expect(classifyFailure({ status: 429, headers: h, message: "slow down" })).toMatchObject({
      kind: "429",
      retryable: true,
      retryAfterMs: 250,
    });
    expect(classifyFailure({ status: 503, message: "x" })).toMatchObject({
      kind: "5xx",
      retryable: true,
    });
    expect(classifyFailure({ status: 408, message: "x" })).toMatchObject({
      kind: "timeout",
      retryable: true,
    });
    expect(classifyFailure({ status: 401, message: "x" })).toMatchObject({
      kind: "4xx",
      retryable: false,
    });
    expect(classifyFailure({ status_code: 400, message: "x" })).toMatchObject({
      kind: "4xx",
      retryable: false,
    });
    expect(classifyFailure(new SyntaxError("Unexpected end of JSON input"))).toMatchObject({
      kind: "parse",
      retryable: true,
    });
    expect(
      classifyFailure(Object.assign(new Error("boom"), { cause: { code: "ECONNRESET" } })),
    ).toMatchObject({ kind: "connection", retryable: true });
    expect(classifyFailure(new Error("aborted"), true)).toMatchObject({
      kind: "timeout",
      retryable: true,
    });
    expect(classifyFailure(new RangeError("a bug"))).toMatchObject({
      kind: "other",
      retryable: false,
    });
  });

  it("reads retry-after in seconds, ms, or as a date", () => {
    expect(retryAfter(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfter(new Headers({ "retry-after-ms": "30", "retry-after": "2" }))).toBe(30);
    expect(
      retryAfter(new Headers({ "retry-after": new Date(Date.now() + 60_000).toUTCString() })),
    ).toBeGreaterThan(50_000);
    expect(retryAfter(new Headers())).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped, or waits what the server asked", () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, undefined, opts, () => 0)).toBe(50);
    expect(backoffDelay(3, undefined, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, undefined, opts, () => 1)).toBe(1000);
    expect(backoffDelay(0, 300, opts, () => 0)).toBe(300);
  });
});

describe("payload policy and redaction", () => {
  it("records only when asked and truncates", () => {
    expect(payloadPolicy({}).record).toBe(false);
    const p = payloadPolicy({
      DGT_TELEMETRY_RECORD_PAYLOADS: "Yes",
      DGT_TELEMETRY_PAYLOAD_MAX_CHARS: "3",
    });
    expect(p.record).toBe(true);
    expect(p.truncate("abcdef")).toEqual({ text: "abc", truncated: true });
    expect(payloadPolicy({ DGT_TELEMETRY_PAYLOAD_MAX_CHARS: "x" }).maxChars).toBe(4096);
    expect(redact("key sk-123456 and sk-123456", ["sk-123456"])).toBe("key *** and ***");
  });
});
