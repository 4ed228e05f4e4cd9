import { createHash } from "node:crypto";
import type { Logger } from "../../telemetry/logger.js";
import { AdaptiveLimiter } from "./limiter.js";

/**
 * What identifies a credential: the secret and the endpoint it is used against. A provider's
 * `credential()` returns it; every block with the same one shares one concurrency limiter.
 *
 * @example
 * protected credential(): Credential { return { secret: this.apiKey, endpoint: this.baseUrl }; }
 */
export interface Credential {
  /** The API key, token or a stand-in like "ollama" (never stored, only hashed). */
  secret: string;
  /** Base URL or host; two hosts with one key get two limiters. */
  endpoint: string;
}

/**
 * The process-wide pool of per-credential limiters, keyed by sha256(secret + endpoint) so the raw
 * key is never kept. Kept on `globalThis` so that two copies of this module (source and dist in
 * one process) still share one pool.
 *
 * @example
 * const limiter = credentialPool().limiter({ secret: key, endpoint: baseURL }, 64, { block: "generator" });
 */
export class CredentialPool {
  private readonly limiters = new Map<string, AdaptiveLimiter>();

  /** The limiter for `credential`, created with `limit` or lowered to it (with a warning). */
  limiter(
    credential: Credential,
    limit: number,
    who: { block: string; logger?: Logger | undefined; adaptive?: boolean },
  ): AdaptiveLimiter {
    const key = credentialKey(credential);
    const existing = this.limiters.get(key);
    if (!existing) {
      const created = new AdaptiveLimiter(limit, { adaptive: who.adaptive ?? true });
      this.limiters.set(key, created);
      return created;
    }
    if (limit !== existing.configured) {
      const smaller = Math.min(limit, existing.configured);
      who.logger?.warn(
        `block '${who.block}' asks for ${limit} concurrent requests on a credential already limited to ${existing.configured} at ${credential.endpoint}; using ${smaller} for both`,
        { endpoint: credential.endpoint, requested: limit, existing: existing.configured },
      );
      existing.lowerConfigured(smaller);
    }
    return existing;
  }

  /** Drop every limiter (tests). */
  clear(): void {
    this.limiters.clear();
  }
}

/** sha256 of a credential and its endpoint, hex. */
export function credentialKey(credential: Credential): string {
  return createHash("sha256")
    .update(credential.secret)
    .update("\u0000")
    .update(credential.endpoint)
    .digest("hex");
}

const KEY = Symbol.for("digit.lm.credential-pool");

/**
 * The one pool of this process.
 *
 * @example
 * credentialPool().clear();
 */
export function credentialPool(): CredentialPool {
  const g = globalThis as { [KEY]?: CredentialPool };
  g[KEY] ??= new CredentialPool();
  return g[KEY];
}
