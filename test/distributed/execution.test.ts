import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { redisSkipReason, startRedis, type TestRedis } from "../support/redis.js";
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
} from "./helpers.js";

const skip = redisSkipReason();
const TARGET = 24;

// `--execution` given to the coordinator reaches the blocks the workers build: with `batch` every
// generation request goes through the fake server's batch API, none online.
describe.skipIf(skip !== "")(
  "--execution in distributed runs (real redis, worker processes)",
  () => {
    let redis: TestRedis;
    let fake: FakeLLM;
    const workers: CliProcess[] = [];
    let dir: string;
    let override: string;
    /** Each process gets its own batch journal and no response cache (requests are counted). */
    const env = (name: string) => ({
      DGT_CACHE: "off",
      DGT_BATCH_JOURNAL: join(dir, `${name}-batches.jsonl`),
    });

    beforeAll(async () => {
      redis = await startRedis();
      fake = await startFakeLLM({ respond: (r) => `out ${r.prompt}`, batch: {} });
      dir = tempDir();
      override = writeOverride(dir, fake.openaiBaseURL, {
        call_limit: 4,
        max_retries: 0,
        batch: { window: 0.05, poll_interval: 0.05, max_poll_interval: 0.1 },
      });
      workers.push(
        ...(await Promise.all([
          startWorkerProcess(redis.url, ["--concurrency", "4"], env("w1")),
          startWorkerProcess(redis.url, ["--concurrency", "4"], env("w2")),
        ])),
      );
    }, 30_000);

    afterAll(async () => {
      for (const w of workers) await stop(w);
      await fake?.close();
      await redis?.stop();
    });

    const runWith = async (extra: string[]) => {
      fake.reset();
      const out = join(tempDir(), "dist");
      const coordinator = cli(
        runArgs(out, override, [
          "--executor",
          redis.url,
          "--num-outputs-to-generate",
          String(TARGET),
          ...extra,
        ]),
        env("coordinator"),
      );
      expect(await coordinator.exited, coordinator.output()).toBe(0);
      return out;
    };

    it("--execution batch: the workers send every request by batch, and task_results count them", async () => {
      const out = await runWith(["--execution", "batch"]);
      const batches = fake.batchStats();
      expect(batches.created).toBeGreaterThan(0);
      expect(batches.resubmitted).toBe(0);
      expect(fake.stats().byPath["/v1/chat/completions"] ?? 0).toBe(0);
      expect(fake.stats().byPath["/v1/completions"] ?? 0).toBe(0);
      for (const t of ["dist/a", "dist/b"]) {
        expect(finalData(out, t)).toHaveLength(TARGET);
        const results = readJsonl(join(out, t, "task_results.jsonl"));
        const last = results[results.length - 1]!.metrics as Record<string, number>;
        expect(last.batch_requests).toBe(last.requests);
        expect(last.online_requests).toBe(0);
      }
      expect(batches.requests).toBeGreaterThanOrEqual(2 * TARGET);
    }, 40_000);

    it("without the flag the same workers send online (the blocks' own execution)", async () => {
      await runWith([]);
      expect(fake.batchStats().created).toBe(0);
      expect(fake.stats().byPath["/v1/completions"] ?? 0).toBeGreaterThanOrEqual(2 * TARGET);
    }, 40_000);
  },
);
