import type { Readable, Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

/**
 * The largest response body read (64 MiB), counted after decompression: an endpoint that streams
 * without end, or sends a small compressed body that expands to gigabytes (a "zip bomb"), fails
 * the request instead of filling memory.
 */
export const LM_MAX_RESPONSE_BYTES = 64 * 2 ** 20;

/** The `code` of the error for a body over the cap. */
export const RESPONSE_TOO_LARGE = "DIGIT_RESPONSE_TOO_LARGE";

/** The `code` of the error for a body in a content-encoding digit cannot decode. */
export const UNSUPPORTED_ENCODING = "DIGIT_UNSUPPORTED_ENCODING";

/** Content codings decoded, by their (lower-case) `content-encoding` name. */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => createGunzip({ chunkSize: 64 * 1024 }),
  "x-gzip": () => createGunzip({ chunkSize: 64 * 1024 }),
  deflate: () => createInflate({ chunkSize: 64 * 1024 }),
  br: () => createBrotliDecompress({ chunkSize: 64 * 1024 }),
};

/**
 * Read a response body whole, decoding its `content-encoding` (gzip, deflate, br) as it streams
 * in: zlib works on the thread pool, chunk by chunk, so the event loop is never blocked, and the
 * moment the decoded size passes `limit` the stream is destroyed (which closes the connection).
 * Rejects with an error whose `code` is RESPONSE_TOO_LARGE (over the cap) or UNSUPPORTED_ENCODING
 * (another coding, e.g. zstd, which Node 20 cannot decode), or with a `SyntaxError` for a body that
 * does not decode (a malformed answer).
 *
 * @example
 * const bytes = await readCappedBody(res, res.headers["content-encoding"], "http://127.0.0.1:8000");
 */
export function readCappedBody(
  body: Readable,
  contentEncoding: string | undefined,
  origin: string,
  limit: number = LM_MAX_RESPONSE_BYTES,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const codings = (contentEncoding ?? "")
      .split(",")
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c !== "" && c !== "identity");
    const unknown = codings.find((c) => !(c in DECODERS));
    if (unknown !== undefined || codings.length > 1) {
      body.destroy();
      const what = unknown ?? codings.join(", ");
      return reject(
        Object.assign(
          new Error(
            `the endpoint ${origin} answered with content-encoding '${what}', which digit does not decode (it decodes one of gzip, deflate, br)`,
          ),
          { code: UNSUPPORTED_ENCODING },
        ),
      );
    }
    const coding = codings[0];
    const decoder = coding === undefined ? undefined : DECODERS[coding]!();
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let decodedBytes = 0;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      decoder?.destroy();
      body.destroy();
      reject(e);
    };
    const succeed = () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const tooLarge = () =>
      Object.assign(
        new Error(
          `response body larger than ${limit / 2 ** 20} MiB${coding ? ` once decoded (${coding})` : ""} from ${origin}; the endpoint is not answering like an LLM API`,
        ),
        { code: RESPONSE_TOO_LARGE },
      );
    const take = (c: Buffer) => {
      if (settled) return;
      decodedBytes += c.length;
      if (decodedBytes > limit) return fail(tooLarge());
      chunks.push(c);
    };
    if (decoder) {
      decoder.on("data", take);
      decoder.on("end", succeed);
      decoder.on("error", (e: Error) =>
        fail(
          Object.assign(
            new Error(`the ${coding} body from ${origin} does not decode: ${e.message}`),
            { name: "SyntaxError" },
          ),
        ),
      );
    }
    body.on("data", (c: Buffer) => {
      if (settled) return;
      wireBytes += c.length;
      if (wireBytes > limit) return fail(tooLarge());
      if (!decoder) return take(c);
      // Backpressure: read no more from the socket until the decoder has caught up.
      if (!decoder.write(c)) {
        body.pause();
        decoder.once("drain", () => body.resume());
      }
    });
    body.on("error", fail);
    body.on("end", () => {
      // An empty body has nothing to decode (a gzip decoder fed nothing reports a truncated stream).
      if (!decoder || wireBytes === 0) {
        decoder?.destroy();
        return succeed();
      }
      decoder.end();
    });
  });
}
