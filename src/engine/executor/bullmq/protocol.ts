import { createHash } from "node:crypto";
import type { GuardCaps } from "../../../blocks/lm/spend-guard.js";
import type { BuilderSpec, RunnerConfig, TaskSpec } from "../../../config/schemas.js";
import { ConfigError, DigitError } from "../../../errors.js";
import type { LlmCallReport } from "../../../telemetry/observer.js";
import type { PriceTable } from "../../../telemetry/prices.js";
import type { Row } from "../../../util/mapping.js";

/**
 * What coordinator and workers agree on: queue names, the unit a worker runs, the result it sends
 * back, and how a Redis URL becomes connection options. Private to the bullmq executor.
 */

/** Name of the BullMQ queue of builder calls. */
export const QUEUE_NAME = "units";
/** Key prefix of everything digit keeps in Redis (BullMQ keys and ours). */
export const KEY_PREFIX = "digit";
/**
 * Version of the unit format; a worker refuses units of another version with a clear error.
 * 2: secrets in contexts are `{"$env": NAME, "fingerprint": …}` references (secrets.ts).
 * 3: the builder context carries the run's `execution` (online, batch or auto), which an older
 * worker would ignore and send online at the full price.
 * 4: contexts carry the run's spending caps and shared spend (`budget`), which workers enforce.
 */
export const PROTOCOL_VERSION = 4;

/** One task of a builder, as a worker needs it to construct the builder's `tasks`. */
export interface UnitTask {
  spec: TaskSpec;
  file: string | undefined;
  runnerConfig: RunnerConfig;
}

/** The spending caps a worker enforces for a run, on the spend all workers share. */
export interface UnitBudget {
  key: string;
  caps: GuardCaps;
  prices: PriceTable;
}

/**
 * Everything a worker needs to rebuild a builder: the same for every unit of a builder in a run,
 * so it is stored once in Redis under its hash and units carry only the hash.
 */
export interface UnitContext {
  version: number;
  builderName: string;
  /**
   * The builder config after `--config-path` overrides (validated by the coordinator), with every
   * secret replaced by a reference to an environment variable (see secrets.ts): never a key.
   */
  config: BuilderSpec;
  /** Builder YAML path on the coordinator (a worker prefers its own copy, found by name). */
  file: string;
  builderOptions: Row;
  /**
   * The run's spending caps, when it has any: the Redis hash of its shared spend (see
   * spend-ledger.ts), the caps, and the prices the coordinator counts with.
   */
  budget?: UnitBudget | undefined;
  tasks: UnitTask[];
  namespaces: string[];
  pluginDirs: string[];
  builderPaths: string[];
  seed: number;
  /** The run's `--execution` (how every LLM block sends its requests); absent: each block's own. */
  execution?: "online" | "batch" | "auto" | undefined;
}

/** One builder call. */
export interface UnitData {
  version: number;
  /** Hash of the UnitContext (key `digit:ctx:<hash>`). */
  context: string;
  kind: "generation" | "transformation";
  /** The loop's request index (generation) — passed to `call` as is. */
  requestIdx: number;
  /** Position of the call in the coordinator's start order (for the per-unit PRNG and logs). */
  seq: number;
  /** Run key: derives the per-unit PRNG, so a retried unit draws the same random numbers. */
  runKey: string;
  batch: Row[];
}

/** Rows a validator on the worker removed, for the coordinator to write to `blocks/<block>`. */
export interface UnitRejects {
  block: { name: string; type: string };
  rows: Row[];
}

/** What a worker returns for a unit. */
export interface UnitResult {
  rows: Row[];
  rejects: UnitRejects[];
  /** LLM call reports, fed into the coordinator's RunMetrics. */
  llmCalls: LlmCallReport[];
  /** Rejected counts the blocks reported (task, block, count). */
  rejected: [string, string, number][];
  /** Which worker ran it (for logs and tests). */
  worker: string;
}

/**
 * Connection options for BullMQ and ioredis from `redis://[user:password@]host:port[/db]` or
 * `rediss://` (TLS).
 *
 * @example
 * redisConnection("redis://127.0.0.1:6379") // { host: "127.0.0.1", port: 6379, ... }
 */
export function redisConnection(url: string): RedisConnection {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`'${url}' is not a Redis URL`, {
      hint: "write it as redis://host:port (or rediss://host:port for TLS), e.g. redis://127.0.0.1:6379",
    });
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new ConfigError(
      `'${url}' is not a Redis URL (scheme '${u.protocol.replace(/:$/, "")}')`,
      {
        hint: "the bullmq executor needs redis://host:port; omit --executor to run in this process",
      },
    );
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new ConfigError(`'${url}': the database '${u.pathname.slice(1)}' is not a number`, {
      hint: "write redis://host:port/0",
    });
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    // BullMQ's blocking connections require this; commands wait for a reconnect instead of failing.
    maxRetriesPerRequest: null,
  };
}

/** ioredis/BullMQ connection options. */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  maxRetriesPerRequest: null;
}

/** sha256 of a JSON value, hex, shortened. */
export function digest(value: unknown, length = 16): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, length);
}

/**
 * The job id of a unit: readable, deterministic and free of ':' (BullMQ rejects it in custom ids).
 * The digest of the batch makes a resumed coordinator reuse a result only for the very same call.
 *
 * @example
 * unitJobId("public/qa", "3f2a9c01d4e5f6a7", 12, "a1b2c3d4") // "public_qa-3f2a9c01d4e5f6a7-12-a1b2c3d4"
 */
export function unitJobId(
  builderName: string,
  runKey: string,
  seq: number,
  batchDigest: string,
): string {
  return `${builderName.replace(/[^A-Za-z0-9_.-]/g, "_")}-${runKey}-${seq}-${batchDigest}`;
}

/**
 * The failure reason a worker gives BullMQ for a unit that threw a DigitError: the message, the
 * fix and the code on separate lines, so the coordinator can raise the same user error (printed
 * without a stack trace) and a person reading the failed job in Redis sees the fix too.
 *
 * @example
 * failureReason(new ConfigError("bad", { hint: "fix it" })) // "bad\nfix: fix it\n[DIGIT_CONFIG_INVALID]"
 */
export function failureReason(e: DigitError): string {
  return `${e.message}${e.hint ? `\nfix: ${e.hint}` : ""}\n[${e.code}]`;
}

/**
 * The parts of a failure reason written by failureReason (code undefined for other failures).
 *
 * @example
 * parseFailure("bad\nfix: fix it\n[DIGIT_CONFIG_INVALID]") // { message: "bad", hint: "fix it", code: "DIGIT_CONFIG_INVALID" }
 */
export function parseFailure(reason: string): { message: string; hint?: string; code?: string } {
  const m = /^([\s\S]*?)(?:\nfix: ([\s\S]*?))?\n\[(DIGIT_[A-Z0-9_]+)\]$/.exec(reason);
  if (!m) return { message: reason };
  return { message: m[1]!, code: m[3]!, ...(m[2] === undefined ? {} : { hint: m[2] }) };
}

/** Redis key of a stored UnitContext. */
export function contextKey(hash: string): string {
  return `${KEY_PREFIX}:ctx:${hash}`;
}

/**
 * Fail fast, with the fix, when Redis does not answer (a client would otherwise retry forever and
 * the command wait silently): one probe connection that does not retry.
 *
 * @example
 * await checkReachable(redisConnection(url), url);
 */
export async function checkReachable(
  connection: RedisConnection,
  url: string,
  timeoutMs = 5000,
): Promise<void> {
  const { Redis } = await import("ioredis");
  const probe = new Redis({
    ...connection,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    throw new DigitError(
      "DIGIT_REDIS_UNREACHABLE",
      `cannot reach Redis at ${displayUrl(url)}: ${e instanceof Error ? e.message : String(e)}`,
      {
        hint: "start it (redis-server --port 6379) or fix the URL; workers and the coordinator must use the same redis://host:port",
      },
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * A Redis URL as printed in messages: the password, if any, replaced by `***`.
 *
 * @example
 * displayUrl("redis://app:s3cret@cache:6379/1") // "redis://app:***@cache:6379/1"
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
