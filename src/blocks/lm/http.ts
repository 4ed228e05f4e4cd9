import { Agent, fetch as undiciFetch, request } from "undici";

/**
 * Options of the HTTP agent LM requests go through. Undici's defaults abort a request whose
 * response headers take more than 300 s ("fetch failed" on slow models); our own per-request
 * timeout is the only deadline, so both undici timeouts are off.
 *
 * @example
 * new Agent(LM_AGENT_OPTIONS)
 */
export const LM_AGENT_OPTIONS = { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000, connections: null } as const;

let agent: Agent | undefined;

/**
 * The shared undici agent for LM requests (one connection pool for the process).
 *
 * @example
 * const res = await lmFetch("http://127.0.0.1:11434/api/tags");
 */
export function lmDispatcher(): Agent {
  agent ??= new Agent(LM_AGENT_OPTIONS);
  return agent;
}

/** A WHATWG-style fetch signature (what the SDKs accept). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";

/**
 * `fetch` for the SDKs, over the LM agent with no headers/body timeouts (see LM_AGENT_OPTIONS).
 *
 * Requests with a text body (every JSON API call) go through `undici.request` and come back as a
 * buffered `Response`: about a third of the CPU of a WHATWG fetch, which matters at hundreds of
 * requests per second. Anything else (streams, form data) falls back to undici's own fetch,
 * paired with the same agent (Node's global fetch bundles another undici copy whose dispatcher
 * would not accept ours).
 *
 * @example
 * new OpenAI({ apiKey, fetch: lmFetch });
 */
export const lmFetch: FetchLike = async (input, init = {}) => {
  const body = init.body;
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : undefined;
  if (url === undefined || !(body === undefined || body === null || typeof body === "string" || body instanceof URLSearchParams)) {
    return undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: lmDispatcher() }) as unknown as Promise<Response>;
  }
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => (headers[k] = v));
  if (body instanceof URLSearchParams) headers["content-type"] ??= "application/x-www-form-urlencoded;charset=UTF-8";
  const res = await request(url, {
    method: ((init.method ?? "GET").toUpperCase() as Method),
    headers,
    body: body == null ? null : String(body),
    signal: init.signal ?? undefined,
    dispatcher: lmDispatcher(),
  });
  const out = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(", ") : v);
  const bytes = await res.body.arrayBuffer();
  const nullBody = NULL_BODY_STATUS.has(res.statusCode) || init.method?.toUpperCase() === "HEAD";
  return new Response(nullBody ? null : bytes, { status: res.statusCode, statusText: res.statusText ?? "", headers: out });
};
