/**
 * Distributed throughput: one coordinator (`digit run --executor redis://...`) and 1, 2 and 4
 * `digit worker` processes on this machine against the fake LLM server (100 ms per request).
 *
 * Each worker runs one unit (builder call) at a time; a unit is a batch of 8 rows, one LLM request
 * each, so a worker keeps about 8 requests in flight: that per-worker limit is what more workers
 * multiply. The credential's call_limit (128) is a cluster-wide limit (taken from Redis for every
 * request) set high enough not to bind. Printed: records/s over the generation window (first
 * request to last answer at the server) and the ratio against 1 worker measured in this run, the
 * peak requests in flight at the server, and wall time including process start-up.
 */
import { join } from "node:path";
import {
  cli,
  finalData,
  runArgs,
  startWorkerProcess,
  stop,
  tempDir,
  writeOverride,
} from "../../test/distributed/helpers.js";
import { startFakeLLM } from "../../test/support/fake-llm/index.js";
import { redisSkipReason, startRedis } from "../../test/support/redis.js";

const LATENCY_MS = 100;
/** Records per task per worker: runs of similar length, so start-up and tail weigh alike. */
const RECORDS_PER_TASK_PER_WORKER = 200;
const WORKER_COUNTS = [1, 2, 4];

interface Figures {
  workers: number;
  records: number;
  recordsPerS: number;
  peak: number;
  wallS: number;
}

export async function run(): Promise<void> {
  const skip = redisSkipReason();
  if (skip) {
    console.log(skip);
    return;
  }
  const redis = await startRedis();
  const fake = await startFakeLLM({ latencyMs: LATENCY_MS, respond: (r) => `out ${r.prompt}` });
  const dir = tempDir("digit-bench-dist-");
  const override = writeOverride(
    dir,
    fake.openaiBaseURL,
    { call_limit: 128 },
    { max_concurrent_batches: 16 },
  );
  const results: Figures[] = [];
  try {
    for (const n of WORKER_COUNTS) {
      const workers = await Promise.all(
        Array.from({ length: n }, () => startWorkerProcess(redis.url, ["--concurrency", "1"])),
      );
      fake.reset();
      const out = join(dir, `w${n}`);
      const started = Date.now();
      const coordinator = cli(
        runArgs(out, override, [
          "--executor",
          redis.url,
          "--num-outputs-to-generate",
          String(RECORDS_PER_TASK_PER_WORKER * n),
          "--machine-batch-size",
          "0",
        ]),
      );
      const code = await coordinator.exited;
      const wallS = (Date.now() - started) / 1000;
      for (const w of workers) await stop(w);
      if (code !== 0) throw new Error(`coordinator exited with ${code}:\n${coordinator.output()}`);
      const s = fake.stats();
      const windowS = ((s.lastAnswerAt ?? 0) - (s.firstRequestAt ?? 0)) / 1000;
      const records = finalData(out, "dist/a").length + finalData(out, "dist/b").length;
      results.push({
        workers: n,
        records,
        recordsPerS: records / windowS,
        peak: s.peakInFlight,
        wallS,
      });
    }
  } finally {
    await fake.close();
    await redis.stop();
  }
  const base = results[0]!.recordsPerS;
  console.log(
    `fake server latency ${LATENCY_MS} ms; each worker: 1 unit of 8 requests at a time; ${RECORDS_PER_TASK_PER_WORKER} records × workers × 2 tasks (2 builders)`,
  );
  console.log("workers  records  records/s  ratio vs 1 worker  peak in flight  wall s");
  for (const r of results) {
    console.log(
      `${String(r.workers).padStart(7)}  ${String(r.records).padStart(7)}  ${r.recordsPerS.toFixed(1).padStart(9)}  ${(r.recordsPerS / base).toFixed(2).padStart(17)}  ${String(r.peak).padStart(14)}  ${r.wallS.toFixed(1).padStart(6)}`,
    );
  }
}
