/**
 * Our retry policy (the SDKs' own retries are off so that no concurrency slot is held while a
 * retry sleeps): 429, 408, 5xx, timeouts, connection errors and unparsable bodies are retried
 * with exponential backoff and jitter, honouring `retry-after-ms` / `retry-after`; other 4xx fail
 * at once, and so does a body over the size cap or in an encoding digit cannot decode (counted as
 * `parse`: asking again would download and decode up to the cap again, for the same answer).
 */
import { RESPONSE_TOO_LARGE, UNSUPPORTED_ENCODING } from "./response-body.js";

/** The kind of a failed attempt, as reported in telemetry and row errors. */
export type FailureKind = "429" | "5xx" | "timeout" | "connection" | "parse" | "4xx" | "other";

/** A failed attempt, classified. */
export interface Failure {
  kind: FailureKind;
  retryable: boolean;
  status?: number | undefined;
  /** The server's requested wait, if it sent one. */
  retryAfterMs?: number | undefined;
  message: string;
}

interface ErrorShape {
  name?: unknown;
  message?: unknown;
  status?: unknown;
  status_code?: unknown;
  code?: unknown;
  headers?: unknown;
  cause?: unknown;
}

/**
 * Classify anything a provider threw. `timedOut` says our own per-request deadline fired.
 *
 * @example
 * classifyFailure(new RateLimitError(...)) // { kind: "429", retryable: true, retryAfterMs: 500, ... }
 */
export function classifyFailure(e: unknown, timedOut = false): Failure {
  const err = (e ?? {}) as ErrorShape;
  const message = describe(e);
  if (timedOut)
    return { kind: "timeout", retryable: true, message: `request timed out (${message})` };
  const refused = refusedBody(e);
  if (refused) return refused;
  const status =
    typeof err.status === "number"
      ? err.status
      : typeof err.status_code === "number"
        ? err.status_code
        : undefined;
  if (status !== undefined) {
    const retryAfterMs = retryAfter(err.headers);
    if (status === 429) return { kind: "429", retryable: true, status, retryAfterMs, message };
    if (status === 408) return { kind: "timeout", retryable: true, status, retryAfterMs, message };
    if (status >= 500) return { kind: "5xx", retryable: true, status, retryAfterMs, message };
    if (status >= 400) return { kind: "4xx", retryable: false, status, message };
  }
  const name = String(err.name ?? "");
  if (name === "SyntaxError" || /JSON|Unexpected (end|token)/i.test(message))
    return { kind: "parse", retryable: true, message: `malformed response body: ${message}` };
  if (
    name === "TimeoutError" ||
    name === "APIConnectionTimeoutError" ||
    /timed? ?out/i.test(message)
  )
    return { kind: "timeout", retryable: true, message };
  if (
    name === "APIConnectionError" ||
    (name === "TypeError" && /fetch failed/i.test(message)) ||
    isConnectionError(e)
  ) {
    return { kind: "connection", retryable: true, message };
  }
  return { kind: "other", retryable: false, message };
}

/** Codes of the errors for a body read in full but refused: over the size cap, or undecodable. */
const UNREADABLE_BODY = new Set([RESPONSE_TOO_LARGE, UNSUPPORTED_ENCODING]);

/**
 * The failure for a body refused after it arrived (over the size cap, or in an encoding digit does
 * not decode), also when an SDK wrapped the error as a connection error; undefined for others.
 * Providers' own `classify` comes after it, so none can count such a body as a broken connection.
 *
 * @example
 * refusedBody(new APIConnectionError({ cause: tooLarge })) // { kind: "parse", retryable: false, ... }
 */
export function refusedBody(e: unknown): Failure | undefined {
  return hasCode(e, UNREADABLE_BODY)
    ? { kind: "parse", retryable: false, message: describe(e) }
    : undefined;
}

/** Whether the error or one of its causes (an SDK wraps what fetch threw) has one of `codes`. */
function hasCode(e: unknown, codes: ReadonlySet<string>): boolean {
  for (
    let c = e as ErrorShape | undefined, depth = 0;
    c && depth < 5;
    c = c.cause as ErrorShape | undefined, depth++
  ) {
    if (typeof c === "object" && codes.has(String(c.code ?? ""))) return true;
  }
  return false;
}

function isConnectionError(e: unknown): boolean {
  for (
    let c = e as ErrorShape | undefined, depth = 0;
    c && depth < 5;
    c = c.cause as ErrorShape | undefined, depth++
  ) {
    const code = String(c.code ?? "");
    if (
      /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CLOSED|UND_ERR_CONNECT_TIMEOUT|HPE_[A-Z_]+)$/.test(
        code,
      )
    )
      return true;
    if (
      /socket hang up|other side closed|terminated|ECONNRESET|Connection error/i.test(
        String(c.message ?? ""),
      )
    )
      return true;
  }
  return false;
}

/** The message of an error and of its causes, on one line. */
function describe(e: unknown): string {
  const parts: string[] = [];
  for (
    let c = e as ErrorShape | undefined, depth = 0;
    c && depth < 4;
    c = c.cause as ErrorShape | undefined, depth++
  ) {
    const m = typeof c === "object" ? String(c.message ?? "") : String(c);
    if (m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(": ").replace(/\s+/g, " ").slice(0, 500) || String(e);
}

/** Milliseconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function retryAfter(headers: unknown): number | undefined {
  const get = (name: string): string | null | undefined => {
    if (!headers || typeof headers !== "object") return undefined;
    const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
    if (typeof h.get === "function") return h.get(name);
    const v = h[name];
    return typeof v === "string" ? v : undefined;
  };
  const ms = Number(get("retry-after-ms"));
  if (get("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = get("retry-after");
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Largest delay, ms. */
  maxMs: number;
}

/**
 * How long to sleep before attempt `attempt + 1` (attempt counts from 0): the server's wait if it
 * gave one (plus up to 10 % jitter so the rows it turned away do not come back in one burst), else
 * `initialMs · 2^attempt` with full jitter in its upper half, capped at `maxMs`.
 *
 * @example
 * backoffDelay(2, undefined, { initialMs: 1000, maxMs: 30000 }) // between 2000 and 4000
 */
export function backoffDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, 10 * 60_000) * (1 + 0.1 * random());
  const base = Math.min(options.maxMs, options.initialMs * 2 ** attempt);
  return base * (0.5 + 0.5 * random());
}

/**
 * An error for an answer that does not have the shape its API promises; classified as `parse`
 * (retried).
 *
 * @example
 * if (!Array.isArray(res.choices)) throw malformedResponse("the endpoint returned no choices");
 */
export function malformedResponse(message: string): Error {
  return Object.assign(new Error(message), { name: "SyntaxError" });
}

/** Sleep `ms`, waking early (rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    if (signal !== NEVER_ABORTS) signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A signal that never aborts (a call the caller cannot cancel); nothing listens on it. */
export const NEVER_ABORTS: AbortSignal = new AbortController().signal;

/**
 * An abort signal for one attempt: fires after `ms` or when `parent` aborts. Cheaper than
 * `AbortSignal.any([AbortSignal.timeout(ms), parent])` (which costs ~60 µs per request on Node 20
 * and keeps its timers alive); call `clear()` when the attempt ends.
 *
 * @example
 * const d = deadline(30_000, runSignal);
 * try { await fetch(url, { signal: d.signal }); } finally { d.clear(); }
 */
export function deadline(
  ms: number,
  parent: AbortSignal,
): { signal: AbortSignal; timedOut(): boolean; clear(): void } {
  const controller = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    controller.abort(
      Object.assign(new Error(`request timed out after ${ms} ms`), { name: "TimeoutError" }),
    );
  }, ms);
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else if (parent !== NEVER_ABORTS) parent.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => fired,
    clear: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    },
  };
}
