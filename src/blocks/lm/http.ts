import http from "node:http";
import https from "node:https";
import { BufferedResponse, ResponseHeaders } from "./buffered-response.js";
import { readCappedBody } from "./response-body.js";

/**
 * Options of the keep-alive agents LM requests go through. There is no socket or headers timeout:
 * our own per-request deadline (the block's `timeout`) is the only one, so calls longer than 5
 * minutes work (Node's global fetch would abort them after 300 s without response headers).
 *
 * @example
 * new http.Agent(LM_AGENT_OPTIONS)
 */
export const LM_AGENT_OPTIONS = {
  keepAlive: true,
  maxSockets: Infinity,
  maxFreeSockets: 256,
  scheduling: "lifo",
} as const;

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
 * `fetch` for the SDKs, over `node:http` keep-alive agents with no timeouts of their own (see
 * LM_AGENT_OPTIONS). The response is read whole, decoded as it streams in and capped at
 * LM_MAX_RESPONSE_BYTES after decoding (see readCappedBody), and handed back as a `Response`.
 *
 * Why not undici: loading the undici package is a noticeable part of a run's start-up
 * (docs/architecture.md), and `node:http` is already loaded. Bodies other than text and bytes (streams,
 * form data), which no provider sends, go to Node's global fetch.
 *
 * @example
 * new OpenAI({ apiKey, fetch: lmFetch });
 */
export const lmFetch: FetchLike = (input, init = {}) => {
  const target =
    typeof input === "string"
      ? targetOf(input)
      : input instanceof URL
        ? targetOf(input.href)
        : undefined;
  const body = requestBody(init.body);
  if (target === undefined || body === UNSUPPORTED) return fetch(input, init);
  const headers = plainHeaders(init.headers);
  if (init.body instanceof URLSearchParams)
    headers["content-type"] ??= "application/x-www-form-urlencoded;charset=UTF-8";
  if (body !== null)
    headers["content-length"] = String(
      typeof body === "string" ? Buffer.byteLength(body) : body.length,
    );
  const method = (init.method ?? "GET").toUpperCase();
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const agent = target.secure ? lmAgents().https : lmAgents().http;
    const req = (target.secure ? https : http).request({
      ...target.options,
      method,
      headers,
      agent,
    });
    const onAbort = () => req.destroy(abortReason(signal!));
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);
    req.on("error", (e) => {
      done();
      reject(e);
    });
    req.on("response", (res) => {
      readCappedBody(res, res.headers["content-encoding"], target.origin).then(
        (bytes) => {
          done();
          try {
            resolve(toResponse(res, bytes, method, target.href) as unknown as Response);
          } catch (e) {
            reject(e as Error);
          }
        },
        (e: Error) => {
          done();
          req.destroy();
          reject(signal?.aborted ? abortReason(signal) : e);
        },
      );
    });
    // A string body goes out in one write with the request head; a buffer takes a second one.
    req.end(body ?? undefined);
  });
};

/** Where a request goes, parsed once per URL: the options `http.request` takes, minus method and headers. */
interface Target {
  readonly href: string;
  readonly origin: string;
  readonly secure: boolean;
  readonly options: http.RequestOptions;
}

/** Parsed URLs by text; an SDK sends every request of a block to the same few. */
const targets = new Map<string, Target | undefined>();
const MAX_TARGETS = 256;

function targetOf(href: string): Target | undefined {
  let target = targets.get(href);
  if (target !== undefined || targets.has(href)) return target;
  const url = new URL(href);
  if (url.protocol === "http:" || url.protocol === "https:") {
    const options: http.RequestOptions = {
      protocol: url.protocol,
      // http.request wants an IPv6 literal without its brackets.
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
    };
    if (url.username || url.password)
      options.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    target = { href: url.href, origin: url.origin, secure: url.protocol === "https:", options };
  }
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(href, target);
  return target;
}

/** Request headers as the plain object `http.request` takes. */
function plainHeaders(init: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (init instanceof Headers) {
    init.forEach((v, k) => {
      out[k] = v;
    });
    return out;
  }
  const pairs = Array.isArray(init) ? (init as [string, string][]) : Object.entries(init ?? {});
  for (const [name, value] of pairs) {
    const k = name.toLowerCase();
    out[k] = out[k] === undefined ? String(value) : `${out[k]}, ${String(value)}`;
  }
  return out;
}

const UNSUPPORTED = Symbol("unsupported body");

function requestBody(body: RequestInit["body"]): string | Buffer | null | typeof UNSUPPORTED {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return UNSUPPORTED;
}

function abortReason(signal: AbortSignal): Error {
  return (
    (signal.reason as Error | undefined) ??
    new DOMException("This operation was aborted", "AbortError")
  );
}

/** The answer as a Response; `bytes` is the body already decoded, so the coding headers go. */
function toResponse(
  res: http.IncomingMessage,
  bytes: Buffer,
  method: string,
  url: string,
): BufferedResponse {
  const headers = new ResponseHeaders(res.rawHeaders);
  if (headers.has("content-encoding")) {
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  const status = res.statusCode ?? 0;
  return new BufferedResponse(
    NULL_BODY_STATUS.has(status) || method === "HEAD" ? null : bytes,
    status,
    res.statusMessage ?? "",
    headers,
    url,
  );
}
