import http from "node:http";
import https from "node:https";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

/**
 * Options of the keep-alive agents LM requests go through. There is no socket or headers timeout:
 * our own per-request deadline (the block's `timeout`) is the only one, so calls longer than 5
 * minutes work (Node's global fetch would abort them after 300 s without response headers).
 *
 * @example
 * new http.Agent(LM_AGENT_OPTIONS)
 */
export const LM_AGENT_OPTIONS = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, scheduling: "lifo" } as const;

let agents: { http: http.Agent; https: https.Agent } | undefined;

/**
 * The shared keep-alive agents for LM requests (one connection pool per protocol for the process).
 *
 * @example
 * http.request(url, { agent: lmAgents().http });
 */
export function lmAgents(): { http: http.Agent; https: https.Agent } {
  agents ??= { http: new http.Agent(LM_AGENT_OPTIONS), https: new https.Agent(LM_AGENT_OPTIONS) };
  return agents;
}

/** A WHATWG-style fetch signature (what the SDKs accept). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * The largest response body read (64 MiB): an endpoint that streams without end fails the request
 * instead of filling memory.
 */
export const LM_MAX_RESPONSE_BYTES = 64 * 2 ** 20;

/**
 * `fetch` for the SDKs, over `node:http` keep-alive agents with no timeouts of their own (see
 * LM_AGENT_OPTIONS). The response is read whole and handed back as a `Response`.
 *
 * Why not undici: loading the undici package took about 90 ms of a run's start-up (measured with
 * the CPU profiler), and `node:http` is already loaded. Bodies other than text and bytes (streams,
 * form data), which no provider sends, go to Node's global fetch.
 *
 * @example
 * new OpenAI({ apiKey, fetch: lmFetch });
 */
export const lmFetch: FetchLike = (input, init = {}) => {
  const url = typeof input === "string" ? new URL(input) : input instanceof URL ? input : undefined;
  const body = requestBody(init.body);
  if (url === undefined || body === UNSUPPORTED) return fetch(input, init);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => (headers[k] = v));
  if (init.body instanceof URLSearchParams) headers["content-type"] ??= "application/x-www-form-urlencoded;charset=UTF-8";
  if (body) headers["content-length"] = String(body.length);
  const method = (init.method ?? "GET").toUpperCase();
  const signal = init.signal ?? undefined;
  const secure = url.protocol === "https:";
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const req = (secure ? https : http).request(url, { method, headers, agent: secure ? lmAgents().https : lmAgents().http });
    const onAbort = () => req.destroy(abortReason(signal!));
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    req.on("error", (e) => (done(), reject(e)));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > LM_MAX_RESPONSE_BYTES) {
          const e = Object.assign(new Error(`response body larger than ${LM_MAX_RESPONSE_BYTES / 2 ** 20} MiB from ${url.origin}; the endpoint is not answering like an LLM API`), { code: "DIGIT_RESPONSE_TOO_LARGE" });
          req.destroy(e);
          return;
        }
        chunks.push(c);
      });
      res.on("error", (e) => (done(), reject(e)));
      res.on("end", () => {
        done();
        try {
          resolve(toResponse(res, Buffer.concat(chunks), method));
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.end(body ?? undefined);
  });
};

const UNSUPPORTED = Symbol("unsupported body");

function requestBody(body: RequestInit["body"]): Buffer | null | typeof UNSUPPORTED {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return UNSUPPORTED;
}

function abortReason(signal: AbortSignal): Error {
  return (signal.reason as Error | undefined) ?? new DOMException("This operation was aborted", "AbortError");
}

function toResponse(res: http.IncomingMessage, raw: Buffer, method: string): Response {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  let bytes = raw;
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  if (raw.length && (encoding === "gzip" || encoding === "x-gzip" || encoding === "deflate" || encoding === "br")) {
    bytes = encoding === "br" ? brotliDecompressSync(raw) : encoding === "deflate" ? inflateSync(raw) : gunzipSync(raw);
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  const status = res.statusCode ?? 0;
  const init = { status, statusText: res.statusMessage ?? "", headers };
  return NULL_BODY_STATUS.has(status) || method === "HEAD" ? new Response(null, init) : bufferedResponse(bytes, init);
}

const utf8 = new TextDecoder(); // strips a byte order mark, as Response.text() does

/**
 * A `Response` whose body is already in memory. A real `Response` wraps a body in a WHATWG stream
 * even when it is a buffer, which was an eighth of the client's CPU per LLM request; here `json()`,
 * `text()`, `arrayBuffer()` and `blob()` read the buffer directly, and `body` builds the stream
 * only for a caller that asks for it. Each body can be read once, as with fetch.
 */
function bufferedResponse(bytes: Buffer, init: ResponseInit): Response {
  const res = new Response(null, init);
  let used = false;
  let stream: ReadableStream<Uint8Array> | null | undefined;
  const take = (): Buffer => {
    if (used || stream?.locked) throw new TypeError("Body is unusable: Body has already been read");
    used = true;
    return bytes;
  };
  const readAs = (read: (b: Buffer) => unknown) => ({ value: async () => read(take()) });
  Object.defineProperties(res, {
    body: { get: () => (stream ??= used ? null : new Response(bytes).body) },
    bodyUsed: { get: () => used },
    json: readAs((b) => JSON.parse(utf8.decode(b))),
    text: readAs((b) => utf8.decode(b)),
    arrayBuffer: readAs((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
    bytes: readAs((b) => new Uint8Array(b)),
    blob: readAs((b) => new Blob([b], { type: init.headers instanceof Headers ? (init.headers.get("content-type") ?? "") : "" })),
    clone: { value: () => bufferedResponse(Buffer.from(bytes), init) },
  });
  return res;
}
