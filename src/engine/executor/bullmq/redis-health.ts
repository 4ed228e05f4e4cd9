import type { EventEmitter } from "node:events";
import type { Redis } from "ioredis";

/**
 * Whether Redis answers, as seen by one ioredis connection: it counts as down from the moment the
 * connection closes until it is ready again (ioredis reconnects on its own meanwhile). The
 * coordinator uses this to give up after a bound and to resubmit work when Redis is back; the
 * worker to stop at once on SIGTERM instead of waiting for a server that is gone.
 *
 * @example
 * const health = new RedisHealth(redis, { down: () => log.warn("lost Redis"), up: () => resubmit() });
 * if (health.downForMs() > 60_000) fail();
 */
export class RedisHealth {
  private downSince: number | undefined;
  private stopped = false;

  constructor(
    connection: Redis,
    private readonly hooks: { down?: () => void; up?: () => void } = {},
  ) {
    connection.on("close", () => this.markDown());
    connection.on("ready", () => this.markUp());
  }

  /** True while the connection is lost. */
  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** How long the connection has been lost (0 while it is up). */
  downForMs(now = Date.now()): number {
    return this.downSince === undefined ? 0 : now - this.downSince;
  }

  /** Stop reporting (the connection is being closed on purpose). */
  stop(): void {
    this.stopped = true;
  }

  private markDown(): void {
    if (this.stopped || this.downSince !== undefined) return;
    this.downSince = Date.now();
    this.hooks.down?.();
  }

  private markUp(): void {
    if (this.stopped || this.downSince === undefined) return;
    this.downSince = undefined;
    this.hooks.up?.();
  }
}

/**
 * Handle `error` on a Redis connection or a BullMQ object, so a lost server never prints ioredis'
 * "Unhandled error event" stack traces: `report` gets each error (callers log connection errors
 * at debug level, the health watcher having said what happened once).
 *
 * @example
 * handleErrors([redis, queue, events], (e) => logger.debug(`redis: ${e.message}`));
 */
export function handleErrors(
  emitters: readonly (EventEmitter | undefined)[],
  report: (e: Error) => void,
): void {
  for (const emitter of emitters)
    emitter?.on("error", (e: unknown) => report(e instanceof Error ? e : new Error(String(e))));
}

/**
 * Close gracefully, but never wait longer than `ms`: then `force` (e.g. `disconnect()`) runs. A
 * quit sent while Redis is down would otherwise wait for a reconnect that may never come.
 *
 * @example
 * await closeWithin(2000, () => queue.close(), () => void queue.disconnect());
 */
export async function closeWithin(
  ms: number,
  graceful: () => Promise<unknown>,
  force: () => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const outcome = await Promise.race([
    graceful().then(
      () => "done" as const,
      () => "failed" as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (outcome !== "done") force();
}
