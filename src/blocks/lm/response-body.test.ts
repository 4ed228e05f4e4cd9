import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readCappedBody } from "./response-body.js";

const stream = (...chunks: Buffer[]) => Readable.from(chunks, { objectMode: false });

describe("readCappedBody", () => {
  it("passes an unencoded or identity body through, and decodes gzip split over chunks", async () => {
    expect(
      (
        await readCappedBody(stream(Buffer.from("ab"), Buffer.from("c")), undefined, "o")
      ).toString(),
    ).toBe("abc");
    expect((await readCappedBody(stream(Buffer.from("x")), "identity", "o")).toString()).toBe("x");
    const zipped = gzipSync("hello world");
    expect(
      (
        await readCappedBody(stream(zipped.subarray(0, 5), zipped.subarray(5)), "GZip", "o")
      ).toString(),
    ).toBe("hello world");
  });

  it("gives an empty encoded body as empty, rather than as a truncated stream", async () => {
    expect((await readCappedBody(stream(), "gzip", "o")).length).toBe(0);
  });

  it("fails a body that does not decode as a malformed answer", async () => {
    await expect(
      readCappedBody(stream(Buffer.from("not gzip at all")), "gzip", "http://x"),
    ).rejects.toMatchObject({
      name: "SyntaxError",
      message: expect.stringContaining("gzip body from http://x does not decode"),
    });
  });

  it("counts the cap on decoded bytes, and refuses stacked or unknown codings", async () => {
    await expect(
      readCappedBody(stream(gzipSync(Buffer.alloc(5000))), "gzip", "o", 4096),
    ).rejects.toMatchObject({ code: "DIGIT_RESPONSE_TOO_LARGE" });
    expect(
      (await readCappedBody(stream(gzipSync(Buffer.alloc(4096))), "gzip", "o", 4096)).length,
    ).toBe(4096);
    await expect(
      readCappedBody(stream(Buffer.alloc(5000)), undefined, "o", 4096),
    ).rejects.toMatchObject({ code: "DIGIT_RESPONSE_TOO_LARGE" });
    await expect(readCappedBody(stream(Buffer.from("x")), "gzip, br", "o")).rejects.toMatchObject({
      code: "DIGIT_UNSUPPORTED_ENCODING",
    });
    await expect(readCappedBody(stream(Buffer.from("x")), "compress", "o")).rejects.toMatchObject({
      code: "DIGIT_UNSUPPORTED_ENCODING",
      message: expect.stringContaining("'compress'"),
    });
  });
});
