import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialKey } from "../../src/blocks/lm/pool.js";
import {
  failureReason,
  KEY_PREFIX,
  PROTOCOL_VERSION,
  parseFailure,
  QUEUE_NAME,
  redisConnection,
  type UnitContext,
} from "../../src/engine/executor/bullmq/protocol.js";
import {
  isSecretKey,
  referSecrets,
  resolveSecrets,
  secretFingerprint,
} from "../../src/engine/executor/bullmq/secrets.js";
import { ConfigError, isDigitError } from "../../src/errors.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import {
  redisSkipReason,
  redisTextsContaining,
  startRedis,
  type TestRedis,
} from "../support/redis.js";
import {
  type CliProcess,
  cli,
  finalData,
  runArgs,
  startWorkerProcess,
  stop,
  TEST_KEY,
  tempDir,
  writeOverride,
} from "./helpers.js";

/** A parsed generation runner config (every default applied). */
const RUNNER = {
  num_outputs_to_generate: 2,
  machine_batch_size: 10,
  save_formatted_output: false,
  restart_generation: false,
};

/** A builder context as the coordinator builds it, with secrets in several places. */
function context(
  config: Record<string, unknown>,
  spec: Record<string, unknown> = { task_name: "t/one" },
): UnitContext {
  return {
    version: PROTOCOL_VERSION,
    builderName: "b/x",
    config: { name: "b/x", blocks: [], postprocessors: [], ...config },
    file: "/b.yaml",
    builderOptions: {},
    tasks: [
      {
        spec: {
          task_name: "t/one",
          data_builder: "b/x",
          task_description: "",
          created_by: "",
          ...spec,
        },
        file: undefined,
        runnerConfig: RUNNER,
      },
    ],
    namespaces: [],
    pluginDirs: [],
    builderPaths: [],
    seed: 0,
  };
}

function thrown(f: () => unknown): { code?: string; message: string; hint?: string } {
  try {
    f();
  } catch (e) {
    expect(isDigitError(e), String(e)).toBe(true);
    return e as { code: string; message: string; hint: string };
  }
  throw new Error("did not throw");
}

describe("secret references (coordinator → Redis → worker)", () => {
  const KEY = "sk-unit-0123456789abcdef";
  const WX = "wx-unit-fedcba9876543210";

  it("replaces api_key, apikey, nested lm_config keys and secret headers by variable names, and nothing else", () => {
    const env = { MY_KEY: KEY, WATSONX_API_KEY: WX };
    const original = context({
      blocks: [
        {
          name: "gen",
          type: "openai",
          api_key: KEY,
          max_tokens: 5,
          tokenizer: "gpt2",
          eos_token: "</s>",
        },
        {
          name: "judge",
          type: "validators/lm_judge",
          lm_config: { type: "watsonx", apikey: WX, default_headers: { "X-Api-Key": KEY } },
        },
        { name: "local", type: "vllm", api_key: "EMPTY" },
      ],
    });
    const stored = referSecrets(original, env);
    const json = JSON.stringify(stored);
    expect(json).not.toContain(KEY);
    expect(json).not.toContain(WX);
    const blocks = stored.config.blocks as Record<string, Record<string, unknown>>[];
    expect(blocks[0]).toEqual({
      name: "gen",
      type: "openai",
      api_key: { $env: "MY_KEY", fingerprint: secretFingerprint(KEY) },
      max_tokens: 5,
      tokenizer: "gpt2",
      eos_token: "</s>",
    });
    expect(blocks[1]!.lm_config).toEqual({
      type: "watsonx",
      apikey: { $env: "WATSONX_API_KEY", fingerprint: secretFingerprint(WX) },
      default_headers: { "X-Api-Key": { $env: "MY_KEY", fingerprint: secretFingerprint(KEY) } },
    });
    // The providers' own stand-ins for "no key" are not secrets.
    expect(blocks[2]!.api_key).toBe("EMPTY");

    // The worker puts the values back from its own environment: the very config the coordinator
    // built its blocks from, so the same credential hash and the same cluster-wide semaphore.
    const back = resolveSecrets(JSON.parse(json) as UnitContext, env);
    expect(back).toEqual(original);
    const apiKey = String((back.config.blocks as Record<string, unknown>[])[0]!.api_key);
    expect(credentialKey({ secret: apiKey, endpoint: "http://h/v1" })).toBe(
      credentialKey({ secret: KEY, endpoint: "http://h/v1" }),
    );
  });

  it("prefers the provider's own variable when several hold the key", () => {
    const env = { AAA_KEY: KEY, OPENAI_API_KEY: KEY, ZZZ: KEY };
    const stored = referSecrets(
      context({
        blocks: [
          { name: "gen", type: "openai", api_key: KEY },
          { name: "claude", type: "anthropic", api_key: KEY },
        ],
      }),
      { ...env, ANTHROPIC_API_KEY: KEY },
    );
    const blocks = stored.config.blocks as { api_key: { $env: string } }[];
    expect(blocks[0]!.api_key.$env).toBe("OPENAI_API_KEY");
    expect(blocks[1]!.api_key.$env).toBe("ANTHROPIC_API_KEY");
  });

  it("refuses a key written literally, naming the builder, block and key, with the fix", () => {
    const e = thrown(() =>
      referSecrets(
        context({
          blocks: [
            {
              name: "judge",
              type: "validators/lm_judge",
              lm_config: { type: "openai", api_key: "sk-literal-0000" },
            },
          ],
        }),
        { OTHER: "x" },
      ),
    );
    expect(e.code).toBe("DIGIT_SECRET_NOT_IN_ENV");
    expect(e.message).toContain("builder 'b/x', block 'judge', key lm_config.api_key");
    expect(e.message).not.toContain("sk-literal-0000");
    expect(e.hint).toContain("api_key: ${OPENAI_API_KEY}");
    expect(e.hint).toMatch(/coordinator and on every worker/);
  });

  it("sends a secret inside another value (a header, a URL, a task spec) as a template of references, and the worker joins it back", () => {
    const env = { OPENAI_API_KEY: KEY };
    const original = context(
      {
        blocks: [
          {
            name: "gen",
            type: "openai",
            default_headers: { Authorization: `Bearer ${KEY}` },
            base_url: `https://h/v1?k=${KEY}`,
          },
        ],
      },
      { task_name: "t/one", note: `see ${KEY}` },
    );
    const stored = referSecrets(original, env);
    const json = JSON.stringify(stored);
    expect(json).not.toContain(KEY);
    const ref = { $env: "OPENAI_API_KEY", fingerprint: secretFingerprint(KEY) };
    const block = (stored.config.blocks as Record<string, Record<string, unknown>>[])[0]!;
    expect(block.default_headers).toEqual({ Authorization: { $secret: ["Bearer ", ref] } });
    expect(block.base_url).toEqual({ $secret: ["https://h/v1?k=", ref] });
    expect(stored.tasks[0]!.spec.note).toEqual({ $secret: ["see ", ref] });
    expect(resolveSecrets(JSON.parse(json) as UnitContext, env)).toEqual(original);
  });

  it("a worker without the variable, or with another value, gets an error naming it", () => {
    const stored = referSecrets(
      context({ blocks: [{ name: "gen", type: "openai", api_key: KEY }] }),
      { OPENAI_API_KEY: KEY },
    );
    const unset = thrown(() => resolveSecrets(stored, {}, "w1:42"));
    expect(unset.code).toBe("DIGIT_WORKER_ENV_UNSET");
    expect(unset.message).toContain(
      "worker w1:42 has no environment variable OPENAI_API_KEY, which builder 'b/x', block 'gen', key api_key reads",
    );
    expect(unset.hint).toContain("export OPENAI_API_KEY=");
    const other = thrown(() => resolveSecrets(stored, { OPENAI_API_KEY: "sk-another-value-123" }));
    expect(other.code).toBe("DIGIT_WORKER_ENV_MISMATCH");
    expect(other.message + String(other.hint)).not.toContain("sk-another-value-123");
  });

  it("names secrets by their words, not by substrings", () => {
    for (const k of [
      "api_key",
      "apikey",
      "apiKey",
      "x-api-key",
      "access_token",
      "client_secret",
      "db_password",
      "Authorization",
      "OPENAI_API_KEY",
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of [
      "tokenizer",
      "keywords",
      "max_tokens",
      "max_new_tokens",
      "eos_token",
      "model_id_or_path",
      "TOKENIZERS_PARALLELISM",
    ])
      expect(isSecretKey(k), k).toBe(false);
  });

  it("a worker's user error crosses BullMQ with its code and fix", () => {
    const reason = failureReason(new ConfigError("bad thing\non two lines", { hint: "do this" }));
    expect(parseFailure(reason)).toEqual({
      message: "bad thing\non two lines",
      hint: "do this",
      code: "DIGIT_CONFIG_INVALID",
    });
    expect(parseFailure("builder failure on batch 1")).toEqual({
      message: "builder failure on batch 1",
    });
  });
});

const skip = redisSkipReason();
if (skip) console.warn(skip);
const TARGET = 24;
const CALL_LIMIT = 3;

describe.skipIf(skip !== "")(
  "no API key in Redis (real redis-server, worker processes, fake LLM server that checks the key)",
  () => {
    let redis: TestRedis;
    let fake: FakeLLM;
    const workers: CliProcess[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      // The server answers only requests that carry TEST_KEY: a run that completes proves the
      // workers put the key back; the cap turns any request above the credential limit into a 429.
      fake = await startFakeLLM({
        apiKey: TEST_KEY,
        latencyMs: 30,
        cap: CALL_LIMIT,
        respond: (r) => `out ${r.prompt}`,
      });
    }, 30_000);

    afterAll(async () => {
      for (const w of workers) await stop(w);
      await fake?.close();
      await redis?.stop();
    });

    it("the scan below finds a key wherever Redis keeps it (so the checks can fail)", async () => {
      const client = new Redis(redisConnection(`${redis.url}/15`));
      try {
        await client.xadd("planted:stream", "*", "data", JSON.stringify({ api_key: TEST_KEY }));
        await client.hset("planted:hash", "opts", `x${TEST_KEY}x`);
        await client.rpush("planted:list", "a", TEST_KEY);
        const found = await redisTextsContaining(redis.url, TEST_KEY);
        expect(found.sort()).toEqual(["15 planted:hash", "15 planted:list", "15 planted:stream"]);
      } finally {
        await client.flushdb();
        client.disconnect();
      }
    });

    it("a run with the key in an environment variable works, and the key is nowhere in Redis, the output or the logs", async () => {
      workers.push(
        ...(await Promise.all([
          startWorkerProcess(redis.url, ["--concurrency", "3"]),
          startWorkerProcess(redis.url, ["--concurrency", "3"]),
        ])),
      );
      const dir = tempDir("digit-dist-secret-");
      const override = writeOverride(dir, fake.openaiBaseURL, {
        call_limit: CALL_LIMIT,
        max_retries: 0,
      });
      const out = join(dir, "out");
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

      const stats = fake.stats();
      expect(stats.unauthorized).toBe(0);
      expect(stats.completed).toBeGreaterThanOrEqual(TARGET);
      for (const t of ["dist/a", "dist/b"]) expect(finalData(out, t)).toHaveLength(TARGET);
      // Both workers derived the coordinator's credential from their own variable: one cluster-wide limit.
      expect(stats.peakInFlight).toBeLessThanOrEqual(CALL_LIMIT);
      expect(stats.rateLimited).toBe(0);

      // What Redis holds instead of the key: the variable's name.
      const client = new Redis(redisConnection(redis.url));
      const contexts = await client.keys(`${KEY_PREFIX}:ctx:*`);
      client.disconnect();
      expect(contexts.length).toBe(2);
      expect((await redisTextsContaining(redis.url, '{"$env":"DIGIT_DIST_TEST_KEY"')).length).toBe(
        2,
      );
      expect(await redisTextsContaining(redis.url, TEST_KEY)).toEqual([]);
      expect(allFiles(dir).filter((f) => readFileSync(f, "utf8").includes(TEST_KEY))).toEqual([]);
      for (const p of [coordinator, ...workers]) expect(p.output()).not.toContain(TEST_KEY);
    }, 60_000);

    it("a key written literally in the YAML is refused before any unit is enqueued", async () => {
      const url = `${redis.url}/1`;
      const literal = "sk-literal-in-yaml-5a4b3c2d1e";
      const dir = tempDir("digit-dist-secret-");
      const override = writeOverride(dir, fake.openaiBaseURL, { api_key: literal });
      const out = join(dir, "out");
      const coordinator = cli(
        runArgs(out, override, ["--executor", url, "--num-outputs-to-generate", String(TARGET)]),
      );
      expect(await coordinator.exited, coordinator.output()).toBe(1);
      const output = coordinator.output();
      expect(output).toContain("[DIGIT_SECRET_NOT_IN_ENV]");
      expect(output).toMatch(
        /builder 'dist\/echo(_b)?', block 'generator', key api_key: the secret is written in the config/,
      );
      expect(output).toContain("api_key: ${OPENAI_API_KEY}");
      expect(output).not.toMatch(/\n\s+at /); // a user error: no stack trace
      expect(output).not.toContain(literal);

      const queue = new Queue(QUEUE_NAME, { connection: redisConnection(url), prefix: KEY_PREFIX });
      const counts = await queue.getJobCounts();
      await queue.close();
      expect(
        Object.values(counts).reduce((a, b) => a + b, 0),
        JSON.stringify(counts),
      ).toBe(0);
      const client = new Redis(redisConnection(url));
      expect(await client.keys(`${KEY_PREFIX}:ctx:*`)).toEqual([]);
      client.disconnect();
      expect(await redisTextsContaining(redis.url, literal)).toEqual([]);
      expect(
        allFiles(dir).filter((f) => f !== override && readFileSync(f, "utf8").includes(literal)),
      ).toEqual([]);
      // Refused while checking the config: no task folder was created.
      expect(existsSync(join(out, "dist"))).toBe(false);
    }, 30_000);

    it("a worker without the variable fails the unit once with an error naming it, and the run stops with that error", async () => {
      const url = `${redis.url}/2`;
      const worker = await startWorkerProcess(url, [], { DIGIT_DIST_TEST_KEY: undefined });
      workers.push(worker);
      const dir = tempDir("digit-dist-secret-");
      const override = writeOverride(dir, fake.openaiBaseURL, { call_limit: CALL_LIMIT });
      const coordinator = cli(
        runArgs(join(dir, "out"), override, [
          "--executor",
          url,
          "--num-outputs-to-generate",
          String(TARGET),
          "--machine-batch-size",
          "0",
        ]),
      );
      expect(await coordinator.exited, coordinator.output()).toBe(1);
      const output = coordinator.output();
      expect(output).toContain("[DIGIT_WORKER_ENV_UNSET]");
      expect(output).toMatch(
        /failed on a worker \(unit [^)]+\): worker \S+ has no environment variable DIGIT_DIST_TEST_KEY, which builder 'dist\/echo(_b)?', block 'generator', key api_key reads its secret from/,
      );
      expect(output).toContain("fix: set DIGIT_DIST_TEST_KEY where 'digit worker' runs");
      expect(output).not.toMatch(/\n\s+at /);
      expect(worker.output()).toContain("has no environment variable DIGIT_DIST_TEST_KEY");

      // Failed, not retried: nothing completed, nothing is running or waiting for a retry.
      const queue = new Queue(QUEUE_NAME, { connection: redisConnection(url), prefix: KEY_PREFIX });
      let counts: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        counts = await queue.getJobCounts();
        if ((counts.active ?? 0) + (counts.waiting ?? 0) === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await queue.close();
      expect(counts.failed).toBeGreaterThanOrEqual(1);
      expect(counts.completed).toBe(0);
      expect((counts.active ?? 0) + (counts.waiting ?? 0) + (counts.delayed ?? 0)).toBe(0);
      expect(fake.stats().unauthorized).toBe(0);
    }, 30_000);
  },
);

/** Every file under a folder. */
function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}
