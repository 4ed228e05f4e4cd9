import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBatchJournal } from "../../src/blocks/lm/batch/journal-store.js";
import { runInBatchScope } from "../../src/blocks/lm/batch/request-scope.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { redisConnection } from "../../src/engine/executor/bullmq/protocol.js";
import { RedisBatchJournal } from "../../src/engine/executor/bullmq/shared-batch-journal.js";
import { FAST, recordingContext } from "../lm/helpers.js";
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
const TARGET = 8;

async function until(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const intent = (local: string, requests: string[], at = Date.now()) => ({
  local,
  provider: "openai",
  endpoint: "http://127.0.0.1:1/v1",
  model: "m",
  block: "generator",
  at,
  requests,
});

describe.skipIf(skip !== "")("the batch journal shared through Redis", () => {
  let redis: TestRedis;
  let client: Redis;
  let fake: FakeLLM;
  const workers: CliProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redisConnection(redis.url));
  }, 30_000);

  afterAll(async () => {
    for (const w of workers) await stop(w);
    await fake?.close();
    await client?.quit();
    await redis?.stop();
  });

  it("an intent claims its requests at once: another intent gets back those a live batch carries", async () => {
    const a = new RedisBatchJournal(client, { endedTtlSec: 60, submitGraceMs: 0 });
    const b = new RedisBatchJournal(client, { endedTtlSec: 60, submitGraceMs: 0 });
    expect(await a.intent(intent("dgb_a", ["x-0", "y-0"]))).toEqual([]);
    expect(await b.intent(intent("dgb_b", ["y-0", "z-0"]))).toEqual(["y-0"]);
    // b's batch carries only the request it claimed.
    expect((await b.get("dgb_b"))?.requests).toEqual(["z-0"]);
    await a.submitted("dgb_a", "batch_1");
    expect(await b.find("y-0")).toMatchObject({ local: "dgb_a", batchId: "batch_1" });
    // Ended: the batch and the request keys naming it expire; the request may be claimed again.
    await a.ended("dgb_a", "completed");
    expect(await b.find("x-0")).toMatchObject({ ended: "completed", batchId: "batch_1" });
    const ttl = await client.ttl("digit:batchjournal:b:dgb_a");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await client.ttl("digit:batchjournal:r:x-0")).toBeLessThanOrEqual(60);
    expect(await b.intent(intent("dgb_c", ["x-0"]))).toEqual([]);
    expect((await b.find("x-0"))?.local).toBe("dgb_c");
    expect((await a.list()).map((j) => j.local).sort()).toEqual(["dgb_a", "dgb_b", "dgb_c"]);
  });

  it("find waits for the id of a fresh intent another worker is submitting", async () => {
    const writer = new RedisBatchJournal(client);
    const reader = new RedisBatchJournal(client, { submitGraceMs: 10_000 });
    await writer.intent(intent("dgb_w", ["w-0"]));
    const found = reader.find("w-0");
    await new Promise((r) => setTimeout(r, 300));
    await writer.submitted("dgb_w", "batch_w");
    expect(await found).toMatchObject({ batchId: "batch_w" });
    // An old intent without an id is answered at once (its writer is gone): the taker lists.
    const old = new RedisBatchJournal(client, { submitGraceMs: 1000 });
    await old.intent(intent("dgb_old", ["o-0"], Date.now() - 5000));
    expect((await old.find("o-0"))?.batchId).toBeUndefined();
  });

  it("two workers running one unit at once (one stalled, not dead) submit its requests once", async () => {
    const claim = await startFakeLLM({ apiKey: "sk-claim", batch: { completionDelayMs: 300 } });
    claim.configure({ responses: ["Answer to: {{prompt}}"] });
    // Two blocks with their own submitters, as on two workers, sharing the Redis journal.
    const undo = useBatchJournal(new RedisBatchJournal(client));
    const worker = () =>
      new OpenAIProvider(
        {
          name: "gen",
          type: "openai",
          model_id_or_path: "fake-model",
          base_url: claim.openaiBaseURL,
          api_key: "sk-claim",
          ...FAST,
          execution: "batch",
          batch: { window: 0.02, poll_interval: 0.02, max_poll_interval: 0.05 },
        },
        recordingContext(),
      );
    const rows = () =>
      [0, 1, 2].map((i) => ({ input: [{ role: "user", content: `q ${i}` }], task_name: "t" }));
    try {
      const [a, b] = [worker(), worker()];
      const answers = await Promise.all(
        [a, b].map((w) =>
          runInBatchScope("unit:claim:1", () => w.call(rows(), { method: "chat_completion" })),
        ),
      );
      expect(claim.batchStats()).toMatchObject({ created: 1, requests: 3, resubmitted: 0 });
      for (const rs of answers)
        expect(rs.map((r) => (r.result as { content: string }).content)).toEqual(
          [0, 1, 2].map((i) => `Answer to: q ${i}`),
        );
      // Another unit asking the same prompts is other requests.
      await runInBatchScope("unit:claim:2", () => a.call(rows(), { method: "chat_completion" }));
      expect(claim.batchStats()).toMatchObject({ created: 2, requests: 6, resubmitted: 0 });
    } finally {
      undo();
      await claim.close();
    }
  });

  it("a worker killed (-9) while its batch is polled: the other polls the same batch, never submits those requests again", async () => {
    fake = await startFakeLLM({
      respond: (r) => `out ${r.prompt}`,
      batch: { completionDelayMs: 4000 },
    });
    const dir = tempDir();
    const override = writeOverride(dir, fake.openaiBaseURL, {
      call_limit: 4,
      max_retries: 0,
      batch: { window: 0.05, poll_interval: 0.05, max_poll_interval: 0.1 },
    });
    // Short locks so the dead worker's units are noticed in about a second.
    const fast = ["--concurrency", "4", "--lock-duration", "1000", "--stalled-interval", "300"];
    const env = (name: string) => ({
      DGT_CACHE: "off",
      DGT_BATCH_JOURNAL: join(dir, `${name}-batches.jsonl`),
    });
    workers.push(
      ...(await Promise.all([
        startWorkerProcess(redis.url, fast, env("w1")),
        startWorkerProcess(redis.url, fast, env("w2")),
      ])),
    );
    const out = join(tempDir(), "dist");
    const coordinator = cli(
      runArgs(out, override, [
        "--executor",
        redis.url,
        "--num-outputs-to-generate",
        String(TARGET),
        "--execution",
        "batch",
      ]),
      env("coordinator"),
    );
    // A worker has submitted a batch, and it is being polled (it completes 4 s after creation).
    const submitted = (w: CliProcess) => /submitted openai batch/.test(w.output());
    await until(() => workers.some(submitted) && fake.batchStats().polls > 0, 30_000);
    const victim = workers.find(submitted)!;
    const survivor = workers.find((w) => w !== victim)!;
    const victimBatches = [...victim.output().matchAll(/submitted openai batch (\S+)/g)].map(
      (m) => m[1]!,
    );
    victim.child.kill("SIGKILL");
    await victim.exited;
    expect(await coordinator.exited, coordinator.output()).toBe(0);

    const stats = fake.batchStats();
    // The victim's batches had not ended when it died.
    expect(stats.polls).toBeGreaterThan(0);
    // No request went to the provider twice (custom_ids derive from the unit, so a second
    // submission of the victim's requests would count here).
    expect(stats.resubmitted).toBe(0);
    // The survivor took the victim's units over and polled the victim's batches again.
    for (const id of victimBatches)
      expect(survivor.output(), `survivor polls ${id}`).toMatch(
        new RegExp(`polling batch ${id} again`),
      );
    for (const t of ["dist/a", "dist/b"]) {
      const final = finalData(out, t);
      expect(final).toHaveLength(TARGET);
      for (const line of final)
        expect(line).toMatch(new RegExp(`^${t}\\|out req \\d+ row \\d+ of ${t}: a?\\w+\\|`));
      const data = readJsonl(join(out, t, "data.jsonl"));
      expect(new Set(data.map((r) => r.id)).size).toBe(data.length);
    }
    // Ended batches are on their way out of the journal.
    const keys = await client.keys("digit:batchjournal:b:dgb_*");
    let ended = 0;
    for (const key of keys) {
      if ((await client.hget(key, "ended")) === null) continue;
      ended++;
      expect(await client.ttl(key)).toBeLessThanOrEqual(3600);
    }
    expect(ended).toBeGreaterThan(0);
  }, 90_000);
});
