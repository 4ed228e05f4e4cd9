/**
 * Endpoint pools: one LLM block served by several endpoints (e.g. several vLLM servers), given as
 * `base_url: [a, b, c]` or as `endpoints:` with their own keys and limits. Each request goes to
 * the healthy endpoint with the most free slots; an endpoint that refuses connections or answers
 * a streak of 5xx is taken out with a growing backoff and probed back in by one request when it
 * ends. Each endpoint keeps its own credential limiter (process-wide, like any credential).
 *
 * The pool works below the SDKs, as their `fetch`: the SDK client talks to the first endpoint and
 * the pool sends each request to the chosen one instead (URL prefix and key swapped), so every
 * provider gets pooling without knowing of it.
 */
import { connect } from "node:net";
import { z } from "zod";
import { EndpointsUnreachableError } from "../../errors.js";
import type { Logger } from "../../telemetry/logger.js";
import { type FetchLike, lmFetch } from "./http.js";
import type { AdaptiveLimiter } from "./limiter.js";
import { credentialPool } from "./pool.js";
import { classifyFailure } from "./retry.js";

/** One entry of a block's `endpoints:` list. */
export const endpointSchema = z.strictObject({
  base_url: z.string().min(1).describe("The endpoint's URL"),
  api_key: z.string().optional().describe("Its key (default: the block's)"),
  max_concurrent_requests: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Its concurrency (default: the block's)"),
});

/** A parsed `endpoints:` entry. */
export type EndpointConfig = z.infer<typeof endpointSchema>;

/** How the pool treats failing endpoints. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** 5xx answers in a row that take an endpoint out. */
const FAILURE_STREAK = 3;

/** One endpoint of a pool, with its health and counters. */
export interface PoolMember {
  url: string;
  key: string;
  limiter: AdaptiveLimiter;
  /** Out of the pool until then (ms since epoch); 0 = healthy. */
  downUntil: number;
  backoffMs: number;
  streak: number;
  /** A request is probing whether the endpoint is back. */
  probing: boolean;
  counters: { requests: number; failures: number; takenOut: number };
}

/**
 * The endpoints of one block.
 *
 * @example
 * const pool = new EndpointPool(["http://a:8000/v1", "http://b:8000/v1"].map((url) => ({ url, key, limit: 32 })), { block: "gen" });
 * new OpenAI({ baseURL: pool.primary, apiKey: key, fetch: pool.fetch });
 */
export class EndpointPool {
  readonly members: PoolMember[];
  private readonly logger: Logger | undefined;
  private readonly block: string;

  constructor(
    endpoints: readonly { url: string; key: string; limit: number }[],
    who: { block: string; logger?: Logger | undefined; adaptive?: boolean },
  ) {
    this.block = who.block;
    this.logger = who.logger;
    const seen = new Set<string>();
    this.members = [];
    for (const e of endpoints) {
      const url = e.url.replace(/\/+$/, "");
      if (seen.has(url)) {
        who.logger?.warn(`block '${who.block}': endpoint ${url} is listed twice; using it once`);
        continue;
      }
      seen.add(url);
      const limiter = credentialPool().limiter({ secret: e.key, endpoint: url }, e.limit, {
        block: who.block,
        logger: who.logger,
        adaptive: who.adaptive ?? true,
      });
      this.members.push({
        url,
        key: e.key,
        limiter,
        downUntil: 0,
        backoffMs: FIRST_BACKOFF_MS,
        streak: 0,
        probing: false,
        counters: { requests: 0, failures: 0, takenOut: 0 },
      });
    }
  }

  /** The URL the SDK client is given (requests to it are spread over the pool). */
  get primary(): string {
    return this.members[0]!.url;
  }

  /** Concurrent requests the whole pool takes: the sum of its endpoints' limits. */
  get capacity(): number {
    return this.members.reduce((s, m) => s + m.limiter.configured, 0);
  }

  /**
   * Check that each endpoint accepts connections: an unreachable one is taken out (and probed
   * back later) with a warning; none reachable is an error.
   */
  async checkReachable(timeoutMs = 3_000): Promise<void> {
    const results = await Promise.all(this.members.map((m) => reachable(m.url, timeoutMs)));
    const down = this.members.filter((_, i) => !results[i]);
    if (down.length === this.members.length) {
      throw new EndpointsUnreachableError(
        `block '${this.block}': none of its ${this.members.length} endpoints accepts connections (${this.members.map((m) => m.url).join(", ")})`,
      );
    }
    for (const m of down) {
      this.takeOut(m, "it does not accept connections");
    }
  }

  /** The `fetch` to give the SDK client. */
  readonly fetch: FetchLike = async (input, init = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const primary = this.primary;
    if (!url.startsWith(primary)) return lmFetch(input, init);
    const tried = new Set<PoolMember>();
    for (;;) {
      // Chosen and queued in one tick, so concurrent requests see each other's demand.
      const m = this.pick(tried) ?? (await this.waitForMember(tried, init.signal ?? undefined));
      const slot = await m.limiter.acquire();
      m.counters.requests++;
      let res: Response;
      try {
        res = await lmFetch(m.url + url.slice(primary.length), {
          ...init,
          headers: swapKey(init.headers, this.members[0]!.key, m.key),
        });
      } catch (e) {
        slot.release("error");
        if (init.signal?.aborted || classifyFailure(e).kind !== "connection") {
          m.probing = false;
          throw e;
        }
        // No answer came from the endpoint: take it out and send the request to another at once.
        m.counters.failures++;
        this.takeOut(m, `connection failed (${(e as Error).message})`);
        tried.add(m);
        if (tried.size >= this.members.length) throw e;
        continue;
      }
      slot.release(res.status === 429 ? "rate_limited" : res.status >= 500 ? "error" : "ok");
      if (res.status >= 500) {
        m.counters.failures++;
        if (++m.streak >= FAILURE_STREAK || m.probing)
          this.takeOut(m, `${m.streak} answers in a row were ${res.status}`);
      } else this.bringBack(m);
      return res;
    }
  };

  /** The endpoint for the next request: one due a probe, else the healthy one with the most free slots. */
  private pick(tried: ReadonlySet<PoolMember>): PoolMember | undefined {
    const now = Date.now();
    const due = this.members.find(
      (m) => !tried.has(m) && m.downUntil > 0 && m.downUntil <= now && !m.probing,
    );
    if (due) {
      due.probing = true;
      return due;
    }
    let best: PoolMember | undefined;
    for (const m of this.members) {
      if (tried.has(m) || m.downUntil !== 0) continue;
      if (!best || m.limiter.limit - m.limiter.demand > best.limiter.limit - best.limiter.demand)
        best = m;
    }
    return best;
  }

  /** Every endpoint is out: wait for the first to be due a probe, and take it. */
  private async waitForMember(
    tried: ReadonlySet<PoolMember>,
    signal: AbortSignal | undefined,
  ): Promise<PoolMember> {
    for (;;) {
      const now = Date.now();
      const next = Math.min(
        ...this.members.filter((m) => !tried.has(m)).map((m) => m.downUntil || now),
      );
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        const timer = setTimeout(resolve, Math.max(10, next - now));
        signal?.addEventListener(
          "abort",
          () => {
            clearTimeout(timer);
            reject(signal.reason as Error);
          },
          { once: true },
        );
      });
      const m = this.pick(tried);
      if (m) return m;
    }
  }

  private takeOut(m: PoolMember, why: string): void {
    // Requests that were in flight when the endpoint went down fail one by one: one outage.
    if (m.downUntil > Date.now() && !m.probing) return;
    const wasDown = m.downUntil > 0;
    m.downUntil = Date.now() + m.backoffMs;
    if (!wasDown) {
      m.counters.takenOut++;
      this.logger?.warn(
        `block '${this.block}': endpoint ${m.url} taken out of the pool for ${m.backoffMs / 1000}s: ${why}`,
        { endpoint: m.url },
      );
    }
    m.backoffMs = Math.min(MAX_BACKOFF_MS, m.backoffMs * 2);
    m.probing = false;
    m.streak = 0;
  }

  private bringBack(m: PoolMember): void {
    m.streak = 0;
    if (m.downUntil > 0)
      this.logger?.info(
        `block '${this.block}': endpoint ${m.url} answers again; back in the pool`,
        { endpoint: m.url },
      );
    m.downUntil = 0;
    m.backoffMs = FIRST_BACKOFF_MS;
    m.probing = false;
  }
}

/** Headers with the primary key replaced by an endpoint's own (whatever header carries it). */
function swapKey(
  headers: RequestInit["headers"],
  primaryKey: string,
  key: string,
): RequestInit["headers"] {
  if (key === primaryKey || !headers || !primaryKey) return headers;
  const out: Record<string, string> = {};
  const entries =
    headers instanceof Headers
      ? [...headers.entries()]
      : Array.isArray(headers)
        ? headers
        : Object.entries(headers);
  for (const [k, v] of entries) out[k] = String(v).split(primaryKey).join(key);
  return out;
}

/** Whether a TCP connection to the URL's host and port opens within `timeoutMs`. */
function reachable(url: string, timeoutMs: number): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve(false);
  }
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ""), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
