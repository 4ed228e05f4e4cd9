import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { Redis } from "ioredis";
import { redisConnection } from "../../src/engine/executor/bullmq/protocol.js";

/** Where `.ci/run` installs redis-server (apt); PATH is searched too. */
const CANDIDATES = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

/**
 * The redis-server binary of this machine, or undefined (tests then skip with a message saying so).
 *
 * @example
 * describe.skipIf(!redisServerPath())("bullmq", () => { ... });
 */
export function redisServerPath(): string | undefined {
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : undefined;
}

/** Why Redis tests are skipped on this machine ("" when they run). */
export function redisSkipReason(): string {
  return redisServerPath()
    ? ""
    : "redis-server is not installed (apt-get install -y redis-server; .ci/run does it): skipping the distributed executor tests";
}

/** A throwaway Redis server for one test file. */
export interface TestRedis {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
  /** SIGKILL the server (a crash: nothing is saved) and wait until it is gone. */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked from the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Start `redis-server` on 127.0.0.1 on a free port (or on `port`, e.g. to restart a killed one)
 * with no persistence, and wait until it answers.
 *
 * @example
 * const redis = await startRedis();
 * // ... new Queue("q", { connection: { host: "127.0.0.1", port: redis.port } })
 * await redis.stop();
 */
export async function startRedis(options: { port?: number } = {}): Promise<TestRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error(redisSkipReason());
  for (let tries = 0; ; tries++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      bin,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    const ok = await waitForPort(port, child, 5000);
    if (ok) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: () => stopChild(child),
        kill: () => killChild(child),
      };
    }
    await stopChild(child);
    // Another process may have taken the port between asking and binding: try another one.
    if (tries >= 2 || options.port !== undefined)
      throw new Error(`redis-server did not start on port ${port}:\n${log}`);
  }
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const attempt = () => {
      if (child.exitCode !== null) return resolve(false);
      const sock = createConnection({ host: "127.0.0.1", port });
      sock.once("connect", () => {
        sock.write("PING\r\n");
      });
      sock.once("data", (d: Buffer) => {
        sock.destroy();
        resolve(d.toString().startsWith("+PONG"));
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) resolve(false);
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** Every string in a value read from Redis. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/**
 * `<db> <key>` of every key, in every database of the server, whose name or content contains
 * `needle`: strings, hashes, lists, sets, sorted sets and streams are read by type (a DUMP is
 * LZF-compressed, so a substring search in it could miss).
 */
export async function redisTextsContaining(url: string, needle: string): Promise<string[]> {
  const admin = new Redis(redisConnection(url));
  const info = await admin.info("keyspace");
  admin.disconnect();
  const dbs = [...info.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
  const found: string[] = [];
  for (const db of dbs) {
    const c = new Redis({ ...redisConnection(url), db });
    let cursor = "0";
    do {
      const [next, keys] = await c.scan(cursor, "COUNT", "500");
      cursor = next;
      for (const key of keys) {
        const type = await c.type(key);
        let parts: unknown;
        if (type === "string") parts = await c.get(key);
        else if (type === "hash") parts = await c.hgetall(key);
        else if (type === "list") parts = await c.lrange(key, 0, -1);
        else if (type === "set") parts = await c.smembers(key);
        else if (type === "zset") parts = await c.zrange(key, "0", "-1", "WITHSCORES");
        else if (type === "stream") parts = await c.xrange(key, "-", "+");
        else if (type === "none")
          continue; // expired between SCAN and TYPE
        else throw new Error(`key ${key} has type ${type}, which this scan does not read`);
        if ([key, ...strings(parts)].some((x) => x.includes(needle))) found.push(`${db} ${key}`);
      }
    } while (cursor !== "0");
    c.disconnect();
  }
  return found;
}
