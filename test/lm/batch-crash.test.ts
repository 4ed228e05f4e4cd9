import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AnthropicBatchApi } from "../../src/blocks/lm/anthropic/batch-api.js";
import { AnthropicProvider } from "../../src/blocks/lm/anthropic/index.js";
import { BatchJournal } from "../../src/blocks/lm/batch/journal.js";
import { OpenAIBatchApi } from "../../src/blocks/lm/openai/batch-api.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { CRASH_KEY, crashBlockConfig, crashRows } from "./batch-crash-rows.js";
import { recordingContext } from "./helpers.js";

const CHILD = resolve(import.meta.dirname, "batch-crash-child.ts");
const ROOT = resolve(import.meta.dirname, "../..");
let fake: FakeLLM;
let dir: string;
let journal: string;

// A fresh server per test: its batches are the "account's", and one test's must not be another's.
beforeEach(async () => {
  fake = await startFakeLLM({
    apiKey: CRASH_KEY,
    responses: ["Answer to: {{prompt}}"],
    batch: {},
  });
  dir = mkdtempSync(join(tmpdir(), "digit-batch-crash-"));
  journal = join(dir, "batches.jsonl");
  process.env.DGT_BATCH_JOURNAL = journal;
  BatchJournal.closeAll();
});
afterEach(async () => {
  delete process.env.DGT_BATCH_JOURNAL;
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

type Provider = "anthropic" | "openai";
const baseUrl = (p: Provider) => (p === "anthropic" ? fake.url : fake.openaiBaseURL);

/** Run the child until it kills itself around the create call; the signal it died of. */
async function crash(provider: Provider, mode: "after-create" | "before-create") {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, provider, baseUrl(provider), mode],
    { cwd: ROOT, env: { ...process.env, DGT_BATCH_JOURNAL: journal }, stdio: "pipe" },
  );
  let out = "";
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((r) =>
    child.on("exit", (_code, s) => r(s)),
  );
  expect(signal, out).toBe("SIGKILL");
  const ops = readFileSync(journal, "utf8")
    .trim()
    .split("\n")
    .map((l) => (JSON.parse(l) as { op: string }).op);
  // The intent was written; the batch id never was.
  expect(ops).toEqual(["intent"]);
}

/**
 * The rerun: the same block and rows in this process, reading the journal the child left. With
 * `endWhenAdopted`, batches end (the fake's delay drops to 0) once the rerun has taken one
 * provisionally, so they are surely running when it lists them.
 */
async function rerun(provider: Provider, endWhenAdopted = false) {
  BatchJournal.closeAll();
  const ctx = recordingContext();
  const config = crashBlockConfig(provider, baseUrl(provider));
  const block =
    provider === "anthropic" ? new AnthropicProvider(config, ctx) : new OpenAIProvider(config, ctx);
  const watch = setInterval(() => {
    if (endWhenAdopted && readFileSync(journal, "utf8").includes('"provisional":true'))
      fake.configure({ batch: { completionDelayMs: 0 } });
  }, 20);
  const rows = await block.call(crashRows(), { method: "chat_completion" });
  clearInterval(watch);
  expect(rows.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined]);
  expect(rows.map((r) => (r.result as { content: string }).content)).toEqual(
    [0, 1, 2, 3].map((i) => `Answer to: question ${i}`),
  );
  return { ctx, lines: readFileSync(journal, "utf8") };
}

/** A batch of four other requests, created by some other client of the same account. */
async function decoy(): Promise<string> {
  const client = new Anthropic({ apiKey: CRASH_KEY, baseURL: fake.url, maxRetries: 0 });
  const b = await client.messages.batches.create({
    requests: [0, 1, 2, 3].map((i) => ({
      custom_id: `someone-else-${i}`,
      params: {
        model: "claude-x",
        max_tokens: 8,
        messages: [{ role: "user", content: `other ${i}` }],
      },
    })),
  });
  return b.id;
}

describe("a kill between creating a batch and journaling its id (child process, SIGKILL)", () => {
  it("Anthropic, batch still running: the rerun finds it by listing, polls it, pays once", async () => {
    fake.configure({ batch: { completionDelayMs: 600_000 } });
    await crash("anthropic", "after-create");
    expect(fake.batchStats().created).toBe(1);
    const [id] = fake.batchStats().ids;
    const { ctx, lines } = await rerun("anthropic", true);
    expect(fake.batchStats()).toMatchObject({ created: 1, resubmitted: 0 });
    expect(lines).toContain(`"batch_id":"${id}","at"`);
    expect(lines).toContain('"provisional":true');
    expect(ctx.logger.records.map((r) => r.message).join("\n")).toMatch(
      /found it by listing the account's batches \(to be confirmed by its answers\)/,
    );
  }, 30_000);

  it("Anthropic, batch already ended: proven by its custom_ids and used as is", async () => {
    await crash("anthropic", "after-create");
    const { lines } = await rerun("anthropic");
    expect(fake.batchStats()).toMatchObject({ created: 1, resubmitted: 0 });
    expect(lines).not.toContain('"provisional"');
  }, 30_000);

  it("OpenAI: found by the digit id in the batch's metadata", async () => {
    fake.configure({ batch: { completionDelayMs: 500 } });
    await crash("openai", "after-create");
    await rerun("openai");
    expect(fake.batchStats()).toMatchObject({ created: 1, resubmitted: 0 });
  }, 30_000);

  it("killed before the create: another client's ended batch of the same size is not taken", async () => {
    await crash("anthropic", "before-create");
    const other = await decoy();
    await rerun("anthropic");
    // Ours was submitted now; the other batch's answers were not used.
    expect(fake.batchStats()).toMatchObject({ created: 2, resubmitted: 0 });
    expect(fake.batchStats().ids[0]).toBe(other);
  }, 30_000);

  it("killed before the create: another client's running batch is taken provisionally, then refused by its answers", async () => {
    fake.configure({ batch: { completionDelayMs: 600_000 } });
    await crash("anthropic", "before-create");
    const other = await decoy();
    // max_retries is 0: resubmitting after the refusal does not use up a retry.
    const { ctx, lines } = await rerun("anthropic", true);
    expect(fake.batchStats()).toMatchObject({ created: 2, resubmitted: 0 });
    expect(lines).toContain(`"batch_id":"${other}"`);
    expect(lines).toMatch(/"op":"ended","local":"[^"]+","status":"lost"/);
    expect(ctx.logger.records.map((r) => r.message).join("\n")).toMatch(
      new RegExp(`batch ${other} answered none of this run's requests`),
    );
  }, 30_000);
});

describe("a create call whose answer is lost (the provider created the batch)", () => {
  /** `submit` that creates the batch, then fails as if the connection dropped before the answer. */
  function losingAnswer<T>(submit: (this: T, ...args: never[]) => Promise<string>) {
    const wrapped = async function (this: T, ...args: never[]): Promise<string> {
      wrapped.calls++;
      await submit.apply(this, args);
      throw new Error("Connection error (the answer was lost)");
    };
    wrapped.calls = 0;
    return wrapped;
  }

  it("anthropic: the retry finds the batch by listing instead of creating a second one", async () => {
    const submit = AnthropicBatchApi.prototype.submit;
    const losing = losingAnswer(submit);
    AnthropicBatchApi.prototype.submit = losing;
    try {
      await rerun("anthropic");
    } finally {
      AnthropicBatchApi.prototype.submit = submit;
    }
    expect(losing.calls).toBe(1);
    expect(fake.batchStats()).toMatchObject({ created: 1, resubmitted: 0 });
  }, 30_000);

  it("openai: the retry finds the batch by its metadata tag", async () => {
    const submit = OpenAIBatchApi.prototype.submit;
    const losing = losingAnswer(submit);
    OpenAIBatchApi.prototype.submit = losing;
    try {
      await rerun("openai");
    } finally {
      OpenAIBatchApi.prototype.submit = submit;
    }
    expect(losing.calls).toBe(1);
    expect(fake.batchStats()).toMatchObject({ created: 1, resubmitted: 0 });
  }, 30_000);
});
