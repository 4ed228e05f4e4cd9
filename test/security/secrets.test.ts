import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { WatsonxProvider } from "../../src/blocks/lm/watsonx/index.js";
import { runCommand } from "../../src/cli/commands/run.js";
import { buildProgram } from "../../src/cli/program.js";
import {
  KEY_PREFIX,
  redisConnection,
  type UnitContext,
} from "../../src/engine/executor/bullmq/protocol.js";
import { referSecrets, resolveSecrets } from "../../src/engine/executor/bullmq/secrets.js";
import { isDigitError } from "../../src/errors.js";
import { ConsoleLogger } from "../../src/telemetry/logger.js";
import {
  type CliProcess,
  cli,
  runArgs,
  startWorkerProcess,
  stop,
  writeOverride,
} from "../distributed/helpers.js";
import { PLUGINS, readJsonl, task, tempDir } from "../engine/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import {
  redisSkipReason,
  redisTextsContaining,
  startRedis,
  type TestRedis,
} from "../support/redis.js";
import { withEnv } from "../support/with-env.js";

/** A parsed generation runner config (every default applied). */
const RUNNER = {
  num_outputs_to_generate: 2,
  machine_batch_size: 10,
  save_formatted_output: false,
  restart_generation: false,
};

/** The key the fake server checks, read by the openai provider from OPENAI_API_KEY. */
const ENV_KEY = "sk-security-env-key-4d3c2b1a0f9e";
/** Secrets written literally in the config, one per shape that must never reach disk. */
const LITERAL = {
  urlPassword: "url-pass-literal-7a6b5c4d",
  xAuth: "xauth-literal-1f2e3d4c",
  ocp: "ocp-subscription-literal-9e8d7c6b",
  bearer: "bearer-literal-token-5a4b3c2d",
  cookie: "cookie-literal-session-0a1b2c3d",
  clientSecret: "client-secret-literal-6f5e4d3c",
  deepPassword: "deep-password-literal-2b3c4d5e",
};

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe("secrets in config fields other than api_key never reach disk", () => {
  let fake: FakeLLM;
  beforeAll(async () => {
    fake = await startFakeLLM({
      apiKey: ENV_KEY,
      responses: ["item {{n}} answer"],
      recordHeaders: true,
    });
  });
  afterAll(() => fake.close());

  it("task card, task results, logs, telemetry and run summary hold no URL password, auth header, Bearer token, extra_body secret or environment key", async () => {
    const dir = tempDir("digit-security-secrets-");
    const port = new URL(fake.url).port;
    const override = join(dir, "override.json");
    const generator = {
      name: "generator",
      type: "openai",
      model_id_or_path: "fake",
      base_url: `http://digit-user:${LITERAL.urlPassword}@127.0.0.1:${port}/v1`,
      default_headers: {
        "X-Auth": LITERAL.xAuth,
        "Ocp-Apim-Subscription-Key": LITERAL.ocp,
        "X-Forwarded-Token-Like": `Bearer ${LITERAL.bearer}`,
        Cookie: `session=${LITERAL.cookie}`,
      },
      extra_body: {
        tenant: "acme",
        client_secret: LITERAL.clientSecret,
        nested: [{ password: LITERAL.deepPassword, note: `copied ${ENV_KEY} here` }],
      },
    };
    writeFileSync(
      override,
      JSON.stringify({ databuilders: { "test/echo_gen": { blocks: [generator] } } }),
    );
    const out = join(dir, "out");
    const code = await withEnv(
      { OPENAI_API_KEY: ENV_KEY, DGT_TELEMETRY_DIR: join(dir, "telemetry") },
      () =>
        runCommand([task("gen_b")], {
          pluginDir: [PLUGINS],
          configPath: override,
          outputDir: out,
          quiet: true,
        }),
    );
    expect(code).toBe(0);
    // The secrets were really used: the endpoint got the key and every header.
    const sent = fake.stats().requestHeaders;
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toMatchObject({
      authorization: `Bearer ${ENV_KEY}`,
      "x-auth": LITERAL.xAuth,
      "ocp-apim-subscription-key": LITERAL.ocp,
    });

    const files = allFiles(dir).filter((f) => f !== override);
    for (const name of [
      "task_card.jsonl",
      "task_results.jsonl",
      "logs.jsonl",
      "run_summary.json",
      "traces.jsonl",
    ])
      expect(
        files.some((f) => f.endsWith(name)),
        name,
      ).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const secret of [ENV_KEY, ...Object.values(LITERAL)])
        expect(text.includes(secret), `${secret} in ${f}`).toBe(false);
    }
    // What the card says instead: the shape stays readable, only the secret parts are ***.
    const card = readJsonl(join(out, "test/gen_b/task_card.jsonl"))[0]!;
    const block = (card.databuilder_spec as { blocks: Record<string, unknown>[] }).blocks[0]!;
    expect(block.base_url).toBe(`http://digit-user:***@127.0.0.1:${port}/v1`);
    expect(block.default_headers).toEqual({
      "X-Auth": "***",
      "Ocp-Apim-Subscription-Key": "***",
      "X-Forwarded-Token-Like": "Bearer ***",
      Cookie: "***",
    });
    expect(block.extra_body).toEqual({
      tenant: "acme",
      client_secret: "***",
      nested: [{ password: "***", note: "copied *** here" }],
    });
  });
});

describe("a bearer token a provider obtains at run time is a secret too", () => {
  it("the watsonx IAM token is redacted from later log lines", async () => {
    const fake = await startFakeLLM({ apiKey: "wx-security-key-0123456789" });
    try {
      const block = new WatsonxProvider({
        name: "g",
        type: "watsonx",
        model_id_or_path: "m",
        project_id: "p",
        api_key: "wx-security-key-0123456789",
        base_url: fake.url,
        iam_url: fake.url,
        max_retries: 0,
      });
      const rows = await block.call([{ input: "hi" }]);
      expect(rows[0]!.error).toBeUndefined();
      const token = fake
        .stats()
        .authHeaders.find((h) => h.startsWith("Bearer fake-iam-token-"))!
        .slice("Bearer ".length);
      const lines: string[] = [];
      const logger = new ConsoleLogger("info", {}, [], {
        format: "text",
        write: (l) => void lines.push(l),
      });
      logger.warn(`upstream said: token ${token} expired`);
      expect(lines).toEqual(["warn: upstream said: token *** expired\n"]);
    } finally {
      await fake.close();
    }
  });
});

/** Everything written to stderr and stdout while `fn` runs (and nothing passed through). */
async function captureOutput<T>(fn: () => Promise<T>): Promise<{ result: T; text: string }> {
  let text = "";
  const grab = (chunk: unknown) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8");
    return true;
  };
  const err = vi.spyOn(process.stderr, "write").mockImplementation(grab);
  const out = vi.spyOn(process.stdout, "write").mockImplementation(grab);
  try {
    return { result: await fn(), text };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

/** Terminal control: set the window title, clear the screen. */
const HOSTILE = "\u001b]0;PWNED\u0007\u001b[2J";

describe("terminal escapes from the network or data are shown, never sent to the terminal", () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    // An endpoint whose error body carries terminal escape sequences.
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `boom ${HOSTILE} boom` } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("an endpoint's 500 body under --debug", async () => {
    const dir = tempDir("digit-security-escapes-");
    const override = join(dir, "override.json");
    const generator = {
      name: "generator",
      type: "openai",
      model_id_or_path: "fake",
      base_url: `http://127.0.0.1:${port}/v1`,
      api_key: "sk-escape-test-000000",
      max_retries: 1,
      retry_backoff: 0,
    };
    writeFileSync(
      override,
      JSON.stringify({ databuilders: { "test/echo_gen": { blocks: [generator] } } }),
    );
    const { text } = await captureOutput(() =>
      runCommand([task("gen_b")], {
        pluginDir: [PLUGINS],
        configPath: override,
        outputDir: join(dir, "out"),
        debug: true,
        maxStalledRequests: 1,
        numOutputsToGenerate: 2,
      }),
    );
    expect(text).toContain("boom \\x1b]0;PWNED\\x07\\x1b[2J boom"); // the debug line about the retry, escaped
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\u0007");
  });

  it("a command-line usage error quoting the argument", async () => {
    const { text } = await captureOutput(() =>
      buildProgram()
        .parseAsync(["node", "digit", "run", `--${HOSTILE}x`])
        .catch(() => undefined),
    );
    expect(text).toContain("\\x1b]0;PWNED\\x07\\x1b[2Jx");
    expect(text).not.toContain("\u001b");
  });

  it("a garbage seed line quoted in an error message", async () => {
    const dir = tempDir("digit-security-escapes-");
    const seeds = join(dir, "seeds.jsonl");
    writeFileSync(seeds, `{"text": "fine"}\n${HOSTILE}garbage\r\n`);
    const yaml = `task_name: test/escapes\ntask_description: seeds with terminal escapes\ndata_builder: test/echo_gen\nseed_datastore:\n  type: default\n  data_path: ${seeds}\n`;
    writeFileSync(join(dir, "task.yaml"), yaml);
    const { result, text } = await captureOutput(() =>
      runCommand([join(dir, "task.yaml")], {
        pluginDir: [PLUGINS],
        outputDir: join(dir, "out"),
        quiet: true,
      }),
    );
    expect(result).toBe(1);
    expect(text).toContain("\\x1b]0;PWNED\\x07\\x1b[2Jgarbage");
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\u0007");
  });
});

/** A builder context as the coordinator builds it. */
function unitContext(block: Record<string, unknown>): UnitContext {
  return {
    version: 2,
    builderName: "b/x",
    config: { name: "b/x", blocks: [block], postprocessors: [] },
    file: "/b.yaml",
    builderOptions: {},
    tasks: [
      {
        spec: { task_name: "t/one", data_builder: "b/x", task_description: "", created_by: "" },
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

function refusal(f: () => unknown): { code: string; message: string; hint?: string } {
  try {
    f();
  } catch (e) {
    expect(isDigitError(e), String(e)).toBe(true);
    return e as { code: string; message: string; hint?: string };
  }
  throw new Error("the secret was accepted for Redis");
}

describe("the distributed executor stores no secret of a header, URL or extra_body in Redis", () => {
  const PW = "url-password-unit-5e4d3c2b";
  const XAUTH = "xauth-unit-value-0a9b8c7d";
  const TOKEN = "bearer-unit-token-1b2c3d4e";
  const CS = "client-secret-unit-6f7e8d9c";
  // XAUTH and the password sit in variables NOT named like secrets: the header name and the URL shape make them secrets.
  const env = { PLAIN_PW: PW, XA_VALUE: XAUTH, UPSTREAM_TOKEN: TOKEN, MY_CLIENT_SECRET: CS };
  const block = {
    name: "gen",
    type: "ollama",
    base_url: `http://digit:${PW}@127.0.0.1:9`,
    default_headers: {
      "X-Auth": XAUTH,
      "X-Upstream": `Bearer ${TOKEN}`,
      "X-Request-Source": "digit",
    },
    extra_body: { client_secret: CS, tenant: "acme" },
  };

  it("sends each as a reference to the variable that holds it, and a worker rebuilds the very same config", () => {
    const stored = referSecrets(unitContext(block), env);
    const json = JSON.stringify(stored);
    for (const secret of [PW, XAUTH, TOKEN, CS]) expect(json).not.toContain(secret);
    for (const name of ["PLAIN_PW", "XA_VALUE", "UPSTREAM_TOKEN", "MY_CLIENT_SECRET"])
      expect(json).toContain(`"$env":"${name}"`);
    expect(
      JSON.stringify((stored.config.blocks as Record<string, unknown>[])[0]!.default_headers),
    ).toContain('"X-Request-Source":"digit"');
    expect(resolveSecrets(JSON.parse(json) as UnitContext, env)).toEqual(unitContext(block));
  });

  it("refuses a secret written literally in a header, a URL's userinfo, a Bearer value or extra_body, without quoting it", () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { ...block, base_url: "http://digit:literal-url-pw-1234@127.0.0.1:9" },
        "key base_url",
        "literal-url-pw-1234",
      ],
      [
        { ...block, default_headers: { "X-Auth": "literal-xauth-5678" } },
        "key default_headers.X-Auth",
        "literal-xauth-5678",
      ],
      [
        { ...block, default_headers: { "Ocp-Apim-Subscription-Key": "literal-ocp-9012" } },
        "key default_headers.Ocp-Apim-Subscription-Key",
        "literal-ocp-9012",
      ],
      [
        { ...block, default_headers: { "X-Upstream": "Bearer literal-bearer-3456" } },
        "key default_headers.X-Upstream",
        "literal-bearer-3456",
      ],
      [
        { ...block, extra_body: { auth: { password: "literal-deep-7890" } } },
        "key extra_body.auth.password",
        "literal-deep-7890",
      ],
    ];
    for (const [b, where, secret] of cases) {
      const e = refusal(() => referSecrets(unitContext(b), env));
      expect(e.code, where).toBe("DIGIT_SECRET_NOT_IN_ENV");
      expect(e.message).toContain(`block 'gen', ${where}`);
      expect(e.message + String(e.hint)).not.toContain(secret);
    }
  });
});

const skip = redisSkipReason();
if (skip) console.warn(skip);

describe.skipIf(skip !== "")(
  "distributed run with header, URL and extra_body secrets (real redis-server, worker processes)",
  () => {
    const SECRETS = {
      DIGIT_SEC_URL_PASSWORD: "url-password-dist-3c2b1a09",
      DIGIT_SEC_XAUTH_VALUE: "xauth-dist-value-8f7e6d5c",
      DIGIT_SEC_SUBSCRIPTION: "ocp-dist-subscription-4b5a69",
      DIGIT_SEC_UPSTREAM_TOKEN: "bearer-dist-token-1a2b3c4d5e",
      DIGIT_SEC_CLIENT_SECRET: "client-secret-dist-9f8e7d6c",
    };
    const basic = Buffer.from(`digit:${SECRETS.DIGIT_SEC_URL_PASSWORD}`).toString("base64");
    let redis: TestRedis;
    let fake: FakeLLM;
    const processes: CliProcess[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      fake = await startFakeLLM({ recordHeaders: true, respond: (r) => `out ${r.prompt}` });
    }, 30_000);
    afterAll(async () => {
      for (const p of processes) await stop(p);
      await fake?.close();
      await redis?.stop();
    });

    it("no secret value is in any Redis key, and the workers send every header and the URL's credentials", async () => {
      const workers = await Promise.all([
        startWorkerProcess(redis.url, [], SECRETS),
        startWorkerProcess(redis.url, [], SECRETS),
      ]);
      processes.push(...workers);
      const dir = tempDir("digit-security-dist-");
      const port = new URL(fake.url).port;
      const override = writeOverride(
        dir,
        `http://digit:\${DIGIT_SEC_URL_PASSWORD}@127.0.0.1:${port}`,
        {
          type: "ollama",
          api_key: "",
          default_headers: {
            "X-Auth": "${DIGIT_SEC_XAUTH_VALUE}",
            "Ocp-Apim-Subscription-Key": "${DIGIT_SEC_SUBSCRIPTION}",
            "X-Upstream-Authorization": "Bearer ${DIGIT_SEC_UPSTREAM_TOKEN}",
          },
          extra_body: { client_secret: "${DIGIT_SEC_CLIENT_SECRET}" },
        },
      );
      const out = join(dir, "out");
      const coordinator = cli(
        runArgs(out, override, [
          "--executor",
          redis.url,
          "--num-outputs-to-generate",
          "6",
          "--machine-batch-size",
          "0",
        ]),
        SECRETS,
      );
      processes.push(coordinator);
      expect(await coordinator.exited, coordinator.output()).toBe(0);

      // The workers put every credential back from their own environment.
      const sent = fake.stats().requestHeaders;
      expect(sent.length).toBeGreaterThanOrEqual(6);
      for (const h of sent) {
        expect(h).toMatchObject({
          authorization: `Basic ${basic}`,
          "x-auth": SECRETS.DIGIT_SEC_XAUTH_VALUE,
          "ocp-apim-subscription-key": SECRETS.DIGIT_SEC_SUBSCRIPTION,
          "x-upstream-authorization": `Bearer ${SECRETS.DIGIT_SEC_UPSTREAM_TOKEN}`,
        });
      }
      // Redis holds the variables' names instead: two builder contexts, each with the templates.
      const client = new Redis(redisConnection(redis.url));
      const contexts = await client.keys(`${KEY_PREFIX}:ctx:*`);
      client.disconnect();
      expect(contexts.length).toBe(2);
      expect(await redisTextsContaining(redis.url, '"$env":"DIGIT_SEC_URL_PASSWORD"')).toHaveLength(
        2,
      );
      for (const secret of [...Object.values(SECRETS), basic]) {
        expect(await redisTextsContaining(redis.url, secret), secret).toEqual([]);
        for (const p of processes) expect(p.output(), secret).not.toContain(secret);
        for (const f of allFiles(dir))
          expect(readFileSync(f, "utf8").includes(secret), `${secret} in ${f}`).toBe(false);
      }
    }, 60_000);
  },
);
