import { createHash } from "node:crypto";

/** What identifies one cached answer. Never a credential: only where and what was asked. */
export interface RequestIdentity {
  /** The provider block type (`openai`, `ollama`, ...). */
  provider: string;
  /** The endpoint URL, with any userinfo removed (empty for providers without one, like `mock`). */
  endpoint: string;
  model: string;
  /** The request: method, prompt or messages, every generation parameter, tools, tool choice. */
  request: unknown;
  /**
   * Which sample of this request: the row's draw key (if any) plus how often that row sent this
   * same request before and the fan-out index, so `n` samples are `n` entries.
   */
  sample: string;
}

/**
 * JSON with object keys sorted at every level, so equal requests give equal text whatever the
 * order their fields were built in. `undefined` members are left out, as `JSON.stringify` does.
 *
 * @example
 * canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }) // '{"a":[{"c":3,"d":2}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = sortKeys(v);
  }
  return out;
}

/**
 * The cache key of a request: a SHA-256 of its identity in canonical JSON (hex).
 *
 * @example
 * requestKey({ provider: "openai", endpoint: "http://127.0.0.1:8000/v1", model: "m",
 *   request: { method: "chat_completion", input: [] }, sample: "0" }) // "3f1c…"
 */
export function requestKey(id: RequestIdentity): string {
  return requestKeyOf(callerPrefix(id), canonicalJson(id.request), id.sample);
}

/**
 * The start of the canonical JSON of every key of one caller (provider, endpoint without
 * userinfo, model), for `requestKeyOf`.
 *
 * @example
 * callerPrefix({ provider: "openai", endpoint: "http://h/v1", model: "m" }) // '["openai","http://h/v1","m"'
 */
export function callerPrefix(caller: Omit<RequestIdentity, "request" | "sample">): string {
  return JSON.stringify([caller.provider, stripUserinfo(caller.endpoint), caller.model]).slice(
    0,
    -1,
  );
}

/**
 * `requestKey` from its parts already serialised: the caller's `callerPrefix` and the request's
 * `canonicalJson`, so that the keys of many samples and rows serialise each part once. Gives
 * exactly `requestKey`'s key.
 *
 * @example
 * requestKeyOf(callerPrefix(caller), canonicalJson(request), "0")
 * // === requestKey({ ...caller, request, sample: "0" })
 */
export function requestKeyOf(prefix: string, requestJson: string, sample: string): string {
  return createHash("sha256")
    .update(`${prefix},${requestJson},${JSON.stringify(sample)}]`)
    .digest("hex");
}

/** A URL without `user:password@` (a secret must never reach a key). */
export function stripUserinfo(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    if (!url.username && !url.password) return endpoint;
    url.username = "";
    url.password = "";
    return url.href;
  } catch {
    return endpoint;
  }
}
