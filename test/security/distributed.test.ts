import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { acquireLock } from "../../src/engine/lock.js";
import { processStartTicks } from "../../src/engine/process-identity.js";
import { OutputLockedError } from "../../src/errors.js";
import {
  type CliProcess,
  cli,
  finalData,
  readJsonl,
  runArgs,
  startWorkerProcess,
  stop,
  tempDir,
  writeOverride,
} from "../distributed/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";

const linux = processStartTicks(process.pid) !== undefined;

describe.skipIf(!linux)("run lock: a reused pid", () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGKILL");
  });

  /** A live process that is not a digit run: the pid a stale lock names after the pid was reused. */
  function liveStranger(): number {
    const c = spawn("sleep", ["30"]);
    children.push(c);
    return c.pid!;
  }

  it("a lock naming a live pid whose start time differs from the recorded one is taken over", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    const pid = liveStranger();
    const recorded = String(Number(processStartTicks(pid)) - 1000);
    writeFileSync(
      join(dir, ".digit.lock"),
      JSON.stringify({
        pid,
        host: hostname(),
        started: "2026-01-01T00:00:00.000Z",
        startTicks: recorded,
      }),
    );
    const release = acquireLock(dir);
    expect(
      (JSON.parse(readFileSync(join(dir, ".digit.lock"), "utf8")) as { pid: number }).pid,
    ).toBe(process.pid);
    release();
  });

  it("a lock naming a live pid with the same start time is refused, naming the holder, the lock file and the override", () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-lock-"));
    const pid = liveStranger();
    const since = "2026-01-01T00:00:00.000Z";
    const file = join(dir, ".digit.lock");
    writeFileSync(
      file,
      JSON.stringify({ pid, host: hostname(), started: since, startTicks: processStartTicks(pid) }),
    );
    let err: unknown;
    try {
      acquireLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputLockedError);
    const e = err as OutputLockedError;
    expect(e.code).toBe("DIGIT_OUTPUT_LOCKED");
    expect(e.message).toContain(`pid ${pid}`);
    expect(e.message).toContain(`on host '${hostname()}'`);
    expect(e.message).toContain(`since ${since}`);
    expect(e.message).toContain(file);
    expect(e.hint).toContain(`rm '${file}'`);
    // The refused run left the holder's lock as it was.
    expect((JSON.parse(readFileSync(file, "utf8")) as { pid: number }).pid).toBe(pid);
  });
});

// ---------------------------------------------------------------------------------------------
// Redis lost mid-run: the coordinator recovers when it comes back, fails within its bound when it
// does not, and always stops on SIGTERM. Real redis-server, a worker process, the fake LLM server.
// ---------------------------------------------------------------------------------------------

const TARGET = 16;
const RAW_NOISE = /\[ioredis\]|Unhandled error event|MaxListenersExceededWarning|at .*node_modules/;

// One Redis port and one worker for the three cases (the worker rides out every outage); the
// last case stops the worker with SIGTERM while Redis is down.
describe.skipIf(redisSkipReason() !== "")("distributed run: Redis lost mid-run", () => {
  let fake: FakeLLM;
  let override: string;
  let redis: TestRedis;
  let redisRunning = false;
  let worker: CliProcess;
  const coordinators: CliProcess[] = [];

  beforeAll(async () => {
    // Slow answers, so the kill lands while units are in flight.
    fake = await startFakeLLM({ latencyMs: 100, respond: (r) => `out ${r.prompt}` });
    override = writeOverride(tempDir(), fake.openaiBaseURL, { max_retries: 0 });
    redis = await startRedis();
    redisRunning = true;
    worker = await startWorkerProcess(redis.url, ["--concurrency", "4"]);
  });
  beforeEach(async () => {
    if (!redisRunning) redis = await startRedis({ port: redis.port });
    redisRunning = true;
  });
  afterEach(async () => {
    for (const c of coordinators.splice(0)) await stop(c, 1000);
  });
  afterAll(async () => {
    if (worker) await stop(worker, 1000);
    await redis?.stop();
    await fake?.close();
  });

  const killRedis = async () => {
    redisRunning = false;
    await redis.kill();
  };

  /** A coordinator writing to a fresh folder, returned once its first batch is committed (units are in flight from then on). */
  async function startCoordinator(extra: string[] = []) {
    const out = join(tempDir(), "out");
    const args = runArgs(out, override, [
      "--executor",
      redis.url,
      "--num-outputs-to-generate",
      String(TARGET),
      "--machine-batch-size",
      "0",
      "--seed-batch-size",
      "2",
      ...extra,
    ]);
    const coordinator = cli(args);
    coordinators.push(coordinator);
    await until(
      () =>
        readJsonl(join(out, "dist/a/dataloader_state.jsonl")).length >= 1 ||
        coordinator.child.exitCode !== null,
      20_000,
    );
    expect(coordinator.child.exitCode, coordinator.output()).toBeNull();
    return { out, args, coordinator };
  }

  it("Redis killed and restarted on the same port: the run completes with every record exactly once", async () => {
    const { out, coordinator } = await startCoordinator();
    await killRedis();
    await new Promise((r) => setTimeout(r, 1000));
    redis = await startRedis({ port: redis.port });
    redisRunning = true;
    const code = await exitWithin(coordinator, 20_000);
    expect(code, coordinator.output()).toBe(0);
    for (const t of ["dist/a", "dist/b"]) {
      const ids = readJsonl(join(out, t, "data.jsonl")).map((r) => String(r.id));
      expect(new Set(ids).size).toBe(ids.length);
      const final = finalData(out, t);
      expect(final).toHaveLength(TARGET);
      expect(new Set(final).size).toBe(TARGET);
    }
    expect(coordinator.output()).not.toMatch(RAW_NOISE);
  }, 30_000);

  it("Redis gone for longer than --redis-timeout: a clear error, nothing left running, and a rerun completes", async () => {
    const { out, args, coordinator } = await startCoordinator(["--redis-timeout", "1"]);
    await killRedis();
    expect(await exitWithin(coordinator, 8000)).toBe(1);
    expect(coordinator.output()).toContain("[DIGIT_REDIS_LOST]");
    expect(coordinator.output()).toMatch(/run the same command again/);
    expect(coordinator.output()).not.toMatch(RAW_NOISE);
    for (const t of ["dist/a", "dist/b"])
      expect(readJsonl(join(out, t, "task_results.jsonl")).at(-1)?.status).not.toBe("running");
    const committed = committedRecords(out, "dist/a");

    redis = await startRedis({ port: redis.port });
    redisRunning = true;
    const rerun = cli(args);
    coordinators.push(rerun);
    expect(await exitWithin(rerun, 20_000), rerun.output()).toBe(0);
    const final = finalData(out, "dist/a");
    expect(final).toHaveLength(TARGET);
    expect(new Set(final).size).toBe(TARGET);
    expect(final.slice(0, committed.length)).toEqual(committed);
  }, 30_000);

  it("SIGTERM while Redis is down stops the coordinator and the worker within seconds", async () => {
    const { out, coordinator } = await startCoordinator();
    await killRedis();
    await new Promise((r) => setTimeout(r, 300));
    coordinator.child.kill("SIGTERM");
    worker.child.kill("SIGTERM");
    const [c, w] = await Promise.all([exitWithin(coordinator, 5000), exitWithin(worker, 5000)]);
    expect(c, coordinator.output()).not.toBe(0);
    expect(coordinator.output()).toContain("[DIGIT_REDIS_LOST]");
    expect(w, worker.output()).not.toBeNull();
    for (const t of ["dist/a", "dist/b"])
      expect(readJsonl(join(out, t, "task_results.jsonl")).at(-1)?.status).not.toBe("running");
    expect(coordinator.output()).not.toMatch(RAW_NOISE);
    expect(worker.output()).not.toMatch(RAW_NOISE);
  }, 30_000);
});

/** The exit code of `p`, or a failure naming what it printed when it has not exited within `ms` (it is then killed). */
async function exitWithin(p: CliProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), ms)));
  const code = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  if (code === "late") {
    p.child.kill("SIGKILL");
    throw new Error(`still running after ${ms} ms:\n${p.output().slice(-2000)}`);
  }
  return code;
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records covered by the last checkpoint of a task (the ones a resume must keep). */
function committedRecords(out: string, task: string): string[] {
  const states = readJsonl(join(out, task, "dataloader_state.jsonl"));
  const rows = (states.at(-1)?.data_rows as number | undefined) ?? 0;
  return readJsonl(join(out, task, "data.jsonl"))
    .slice(0, rows)
    .map((r) => `${String(r.task_name)}|${String(r.text)}|${String(r.id)}`);
}
