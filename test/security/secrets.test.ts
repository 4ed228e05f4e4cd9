import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { startFakeLLM, type FakeLLM } from "../support/fake-llm/index.js";
import { PLUGINS, readJsonl, task, tempDir } from "../engine/helpers.js";

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

/** Run `fn` with some environment variables set, then put them back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("secrets in config fields other than api_key never reach disk", () => {
  let fake: FakeLLM;
  beforeAll(async () => {
    fake = await startFakeLLM({ apiKey: ENV_KEY, responses: ["item {{n}} answer"], recordHeaders: true });
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
      default_headers: { "X-Auth": LITERAL.xAuth, "Ocp-Apim-Subscription-Key": LITERAL.ocp, "X-Forwarded-Token-Like": `Bearer ${LITERAL.bearer}`, Cookie: `session=${LITERAL.cookie}` },
      extra_body: { tenant: "acme", client_secret: LITERAL.clientSecret, nested: [{ password: LITERAL.deepPassword, note: `copied ${ENV_KEY} here` }] },
    };
    writeFileSync(override, JSON.stringify({ databuilders: { "test/echo_gen": { blocks: [generator] } } }));
    const out = join(dir, "out");
    const code = await withEnv({ OPENAI_API_KEY: ENV_KEY, DGT_TELEMETRY_DIR: join(dir, "telemetry") }, () =>
      runCommand([task("gen_b")], { pluginDir: [PLUGINS], configPath: override, outputDir: out, quiet: true }),
    );
    expect(code).toBe(0);
    // The secrets were really used: the endpoint got the key and every header.
    const sent = fake.stats().requestHeaders;
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]).toMatchObject({ authorization: `Bearer ${ENV_KEY}`, "x-auth": LITERAL.xAuth, "ocp-apim-subscription-key": LITERAL.ocp });

    const files = allFiles(dir).filter((f) => f !== override);
    for (const name of ["task_card.jsonl", "task_results.jsonl", "logs.jsonl", "run_summary.json", "traces.jsonl"]) expect(files.some((f) => f.endsWith(name)), name).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const secret of [ENV_KEY, ...Object.values(LITERAL)]) expect(text.includes(secret), `${secret} in ${f}`).toBe(false);
    }
    // What the card says instead: the shape stays readable, only the secret parts are ***.
    const card = readJsonl(join(out, "test/gen_b/task_card.jsonl"))[0]!;
    const block = (card.databuilder_spec as { blocks: Record<string, unknown>[] }).blocks[0]!;
    expect(block.base_url).toBe(`http://digit-user:***@127.0.0.1:${port}/v1`);
    expect(block.default_headers).toEqual({ "X-Auth": "***", "Ocp-Apim-Subscription-Key": "***", "X-Forwarded-Token-Like": "Bearer ***", Cookie: "***" });
    expect(block.extra_body).toEqual({ tenant: "acme", client_secret: "***", nested: [{ password: "***", note: "copied *** here" }] });
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
    const generator = { name: "generator", type: "openai", model_id_or_path: "fake", base_url: `http://127.0.0.1:${port}/v1`, api_key: "sk-escape-test-000000", max_retries: 1, retry_backoff: 0 };
    writeFileSync(override, JSON.stringify({ databuilders: { "test/echo_gen": { blocks: [generator] } } }));
    const { text } = await captureOutput(() => runCommand([task("gen_b")], { pluginDir: [PLUGINS], configPath: override, outputDir: join(dir, "out"), debug: true, maxStalledRequests: 1, numOutputsToGenerate: 2 }));
    expect(text).toContain("boom \\x1b]0;PWNED\\x07\\x1b[2J boom"); // the debug line about the retry, escaped
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\u0007");
  });

  it("a garbage seed line quoted in an error message", async () => {
    const dir = tempDir("digit-security-escapes-");
    const seeds = join(dir, "seeds.jsonl");
    writeFileSync(seeds, `{"text": "fine"}\n${HOSTILE}garbage\r\n`);
    const yaml = `task_name: test/escapes\ntask_description: seeds with terminal escapes\ndata_builder: test/echo_gen\nseed_datastore:\n  type: default\n  data_path: ${seeds}\n`;
    writeFileSync(join(dir, "task.yaml"), yaml);
    const { result, text } = await captureOutput(() => runCommand([join(dir, "task.yaml")], { pluginDir: [PLUGINS], outputDir: join(dir, "out"), quiet: true }));
    expect(result).toBe(1);
    expect(text).toContain("\\x1b]0;PWNED\\x07\\x1b[2Jgarbage");
    expect(text).not.toContain("\u001b");
    expect(text).not.toContain("\u0007");
  });
});
