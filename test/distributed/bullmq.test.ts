import { join } from "node:path";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import {
  KEY_PREFIX,
  QUEUE_NAME,
  redisConnection,
} from "../../src/engine/executor/bullmq/protocol.js";
import { run } from "../../src/engine/run.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";
import {
  type CliProcess,
  cli,
  finalData,
  PLUGINS,
  ROOT,
  readJsonl,
  runArgs,
  startWorkerProcess,
  stop,
  TASKS,
  tempDir,
  writeOverride,
} from "./helpers.js";

const skip = redisSkipReason();
if (skip) console.warn(skip);

const TARGET = 80;
const CALL_LIMIT = 4;

describe.skipIf(skip !== "")(
  "distributed runs on BullMQ (real redis-server, worker processes, fake LLM server)",
  () => {
    let redis: TestRedis;
    let fake: FakeLLM;
    let override: string;
    const local = new Map<string, string[]>();
    const workers: CliProcess[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      // Answers are a function of the prompt (which names the request index and row), so they do
      // not depend on which worker asks or in which order. The cap turns any excess into 429s.
      fake = await startFakeLLM({
        latencyMs: 40,
        cap: CALL_LIMIT,
        respond: (r) => `out ${r.prompt}`,
      });
      const dir = tempDir();
      override = writeOverride(dir, fake.openaiBaseURL, { call_limit: CALL_LIMIT, max_retries: 0 });
      // The reference: the same tasks run in this process with the local executor.
      const out = join(dir, "local");
      await run({
        taskPaths: TASKS,
        pluginDirs: [PLUGINS],
        configPath: override,
        outputDir: out,
        numOutputsToGenerate: TARGET,
        machineBatchSize: 0,
        logger: silentLogger,
        cwd: ROOT,
      });
      credentialPool().clear();
      for (const t of ["dist/a", "dist/b"]) local.set(t, finalData(out, t));
      fake.reset();
    }, 30_000);

    afterAll(async () => {
      for (const w of workers) await stop(w);
      await fake?.close();
      await redis?.stop();
    });

    it("two workers give the local run's final data; rejects and LLM metrics come back; the credential limit holds cluster-wide", async () => {
      expect(local.get("dist/a")).toHaveLength(TARGET);
      workers.push(
        ...(await Promise.all([
          startWorkerProcess(redis.url, ["--concurrency", "4"]),
          startWorkerProcess(redis.url, ["--concurrency", "4"]),
        ])),
      );
      const out = join(tempDir(), "dist");
      const coordinator = cli(
        runArgs(out, override, [
          "--executor",
          redis.url,
          "--num-outputs-to-generate",
          String(TARGET),
          "--machine-batch-size",
          "0",
        ]),
      );
      expect(await coordinator.exited, coordinator.output()).toBe(0);

      for (const t of ["dist/a", "dist/b"]) {
        expect(finalData(out, t)).toEqual(local.get(t));
        // Rejected rows were written by the coordinator from what workers sent back: row 7 of each batch.
        const rejects = readJsonl(join(out, t, "blocks/check.jsonl"));
        expect(rejects.length).toBeGreaterThanOrEqual(Math.ceil(TARGET / 7));
        for (const r of rejects) expect(String(r.text)).toMatch(/ row 7 of /);
        const results = readJsonl(join(out, t, "task_results.jsonl"));
        const last = results[results.length - 1]!.metrics as Record<string, number>;
        expect(last.requests).toBeGreaterThanOrEqual(TARGET);
        expect(last.prompt_tokens).toBeGreaterThan(0);
      }
      const stats = fake.stats();
      // Both workers run 4 units at once with call_limit 4 each: only the cluster-wide slot keeps it at 4.
      expect(stats.peakInFlight).toBeLessThanOrEqual(CALL_LIMIT);
      expect(stats.rateLimited).toBe(0);
      // Both workers did some of the work.
      const units = await unitsByWorker(redis.url);
      expect(units.size).toBe(2);
    }, 40_000);

    it("a worker killed with -9 mid-run: its units run again on the other worker; no duplicates, no gaps", async () => {
      for (const w of workers.splice(0)) await stop(w);
      // Short locks so the dead worker's units are noticed in about a second.
      const fast = [
        "--concurrency",
        "3",
        "--lock-duration",
        "1000",
        "--stalled-interval",
        "300",
        "--slot-lease",
        "1000",
      ];
      const [victim, survivor] = await Promise.all([
        startWorkerProcess(redis.url, fast),
        startWorkerProcess(redis.url, fast),
      ]);
      workers.push(victim!, survivor!);
      const events = new QueueEvents(QUEUE_NAME, {
        connection: redisConnection(redis.url),
        prefix: KEY_PREFIX,
      });
      let stalled = 0;
      events.on("stalled", () => stalled++);
      await events.waitUntilReady();
      fake.configure({ latencyMs: 80 });

      const out = join(tempDir(), "dist");
      const coordinator = cli(
        runArgs(out, override, [
          "--executor",
          redis.url,
          "--num-outputs-to-generate",
          String(TARGET),
          "--machine-batch-size",
          "0",
        ]),
      );
      // The first committed batch (a fresh start writes an all-zero checkpoint line before it).
      await until(
        () =>
          readJsonl(join(out, "dist/a/dataloader_state.jsonl")).length >= 2 ||
          coordinator.child.exitCode !== null,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 150));
      victim!.child.kill("SIGKILL");
      expect(await coordinator.exited, coordinator.output()).toBe(0);
      await events.close();
      fake.configure({ latencyMs: 40 });

      expect(stalled, "the kill landed while the worker held units").toBeGreaterThan(0);
      for (const t of ["dist/a", "dist/b"]) {
        const final = finalData(out, t);
        expect(final).toEqual(local.get(t));
        const data = readJsonl(join(out, t, "data.jsonl"));
        expect(new Set(data.map((r) => r.id)).size).toBe(data.length);
      }
    }, 40_000);

    it("a coordinator killed with -9 and started again without --restart resumes from its output folder", async () => {
      fake.configure({ latencyMs: 80 });
      // More records than the other cases, so the kill lands between commits: batches that finish
      // together are committed at once, and a short run can commit everything in one go.
      const target = 3 * TARGET;
      const out = join(tempDir(), "dist");
      const args = runArgs(out, override, [
        "--executor",
        redis.url,
        "--num-outputs-to-generate",
        String(target),
        "--machine-batch-size",
        "0",
      ]);
      const first = cli(args);
      const state = join(out, "dist/a/dataloader_state.jsonl");
      // A committed batch (after the all-zero line a fresh start writes first).
      await until(() => readJsonl(state).length >= 2 || first.child.exitCode !== null, 20_000);
      first.child.kill("SIGKILL");
      await first.exited;
      const committed = new Map<string, string[]>();
      for (const t of ["dist/a", "dist/b"]) committed.set(t, committedRecords(out, t));
      expect(committed.get("dist/a")!.length).toBeGreaterThan(0);
      expect(committed.get("dist/a")!.length).toBeLessThan(target);

      const second = cli(args);
      expect(await second.exited, second.output()).toBe(0);
      fake.configure({ latencyMs: 40 });
      for (const t of ["dist/a", "dist/b"]) {
        const final = finalData(out, t);
        expect(final).toHaveLength(target);
        expect(new Set(final.map((f) => f.split("|")[2])).size).toBe(target);
        // What the first coordinator committed is kept, first and unchanged (up to the target: a
        // task whose last batch went past it before the kill still ends with `target` records).
        const kept = committed.get(t)!.slice(0, target);
        expect(final.slice(0, kept.length)).toEqual(kept);
      }
    }, 90_000);
  },
);

/** Records covered by the last checkpoint of a task (the ones a resume must keep). */
function committedRecords(out: string, task: string): string[] {
  const states = readJsonl(join(out, task, "dataloader_state.jsonl"));
  const rows = (states[states.length - 1]?.data_rows as number | undefined) ?? 0;
  return readJsonl(join(out, task, "data.jsonl"))
    .slice(0, rows)
    .map((r) => `${String(r.task_name)}|${String(r.text)}|${String(r.id)}`);
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Completed units per worker name (from the jobs BullMQ keeps). */
async function unitsByWorker(url: string): Promise<Map<string, number>> {
  const { Queue } = await import("bullmq");
  const q = new Queue(QUEUE_NAME, { connection: redisConnection(url), prefix: KEY_PREFIX });
  const jobs = await q.getJobs(["completed"], 0, -1);
  const by = new Map<string, number>();
  for (const j of jobs) {
    const w = String((j.returnvalue as { worker?: string } | undefined)?.worker);
    by.set(w, (by.get(w) ?? 0) + 1);
  }
  await q.close();
  return by;
}
