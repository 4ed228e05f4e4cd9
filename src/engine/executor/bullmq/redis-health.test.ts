import { describe, expect, it } from "vitest";
import { displayUrl } from "./protocol.js";
import { closeWithin } from "./redis-health.js";

describe("closing connections to a Redis that may be gone", () => {
  it("a graceful close that never settles is forced after the bound; one that settles is not", async () => {
    let forced = 0;
    await closeWithin(
      20,
      () => new Promise(() => undefined),
      () => forced++,
    );
    expect(forced).toBe(1);
    await closeWithin(
      1000,
      async () => undefined,
      () => forced++,
    );
    expect(forced).toBe(1);
    await closeWithin(
      1000,
      () => Promise.reject(new Error("Connection is closed")),
      () => forced++,
    );
    expect(forced).toBe(2);
  });

  it("Redis URLs in messages never show the password", () => {
    expect(displayUrl("redis://app:s3cret@cache:6379/1")).toBe("redis://app:***@cache:6379/1");
    expect(displayUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(displayUrl("not a url")).toBe("not a url");
  });
});
