import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AzureOpenAI } from "openai";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AzureOpenAIProvider } from "../../src/blocks/lm/azure-openai/index.js";
import { BatchJournal } from "../../src/blocks/lm/batch/journal.js";
import { digit } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { FAST, recordingContext } from "./helpers.js";

const KEY = "azure-key-6f1d";
let fake: FakeLLM;
let dir: string;
beforeAll(async () => {
  fake = await startFakeLLM({ apiKey: KEY });
});
afterAll(() => fake.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "digit-azure-batch-"));
  process.env.DGT_BATCH_JOURNAL = join(dir, "batches.jsonl");
  BatchJournal.closeAll();
  fake.reset();
  fake.configure({ responses: ["Answer to: {{prompt}}"], batch: {} });
});
afterEach(() => {
  delete process.env.DGT_BATCH_JOURNAL;
  rmSync(dir, { recursive: true, force: true });
});

/** An azure-openai block on the fake server's root URL, as on `https://<resource>.openai.azure.com`. */
function block(extra: Record<string, unknown> = {}) {
  const ctx = recordingContext();
  const b = new AzureOpenAIProvider(
    {
      name: "gen",
      type: "azure-openai",
      model_id_or_path: "my-gpt4o-batch-deployment",
      base_url: fake.url,
      api_key: KEY,
      ...FAST,
      execution: "batch",
      batch: { window: 0.02, poll_interval: 0.02, max_poll_interval: 0.05 },
      ...extra,
    },
    ctx,
  );
  return { b, ctx };
}

const chat = (i: number) => ({ input: [{ role: "user", content: `q ${i}` }], task_name: "t" });

describe("the fake server speaks Azure OpenAI's batch routes (real AzureOpenAI client)", () => {
  it("refuses what Azure refuses: no api-version, a Bearer key, a /v1 endpoint", async () => {
    const noVersion = await fetch(`${fake.url}/openai/batches`, { headers: { "api-key": KEY } });
    expect(noVersion.status).toBe(404);
    const bearer = await fetch(`${fake.url}/openai/batches?api-version=2024-10-21`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(bearer.status).toBe(401);
    const client = new AzureOpenAI({ endpoint: fake.url, apiKey: KEY, apiVersion: "2024-10-21" });
    const file = await client.files.create({
      file: new File(
        ['{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n'],
        "x.jsonl",
      ),
      purpose: "batch",
    });
    await expect(
      client.batches.create({
        input_file_id: file.id,
        endpoint: "/v1/chat/completions",
        completion_window: "24h",
      }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe("batch execution on azure-openai end to end (fake Azure endpoint)", () => {
  it("uploads, creates, polls and reads results on Azure's paths, with api-key and api-version", async () => {
    const { b, ctx } = block();
    const rows = await b.call([chat(0), chat(1), chat(2)], { method: "chat_completion" });
    expect(rows.map((r) => r.result)).toEqual(
      [0, 1, 2].map((i) => ({ role: "assistant", content: `Answer to: q ${i}` })),
    );
    expect(rows.every((r) => r.error === undefined)).toBe(true);
    expect(fake.batchStats()).toMatchObject({ created: 1, requests: 3, filesUploaded: 1 });
    const paths = fake.stats().byPath;
    expect(paths["/openai/files"]).toBe(1);
    expect(paths["/openai/batches"]).toBe(1);
    expect(Object.keys(paths).some((p) => p.startsWith("/v1/"))).toBe(false);
    expect(Object.keys(paths).some((p) => p.includes("/deployments/"))).toBe(false);
    expect(fake.stats().unauthorized).toBe(0);
    expect(ctx.observer.calls.map((c) => c.execution)).toEqual(["batch", "batch", "batch"]);
    const journal = readFileSync(process.env.DGT_BATCH_JOURNAL!, "utf8");
    expect(journal).not.toContain(KEY);
    expect(journal).toContain('"provider":"azure-openai"');
  });

  it("completion rows go by batch too, on Azure's /completions", async () => {
    const { b } = block();
    const rows = await b.call([{ input: "say hi", task_name: "t" }]);
    expect(rows[0]!.result).toBe("Answer to: say hi");
    expect(fake.batchStats().created).toBe(1);
  });

  it("a rerun finds the journaled Azure batch and polls it instead of submitting again", async () => {
    fake.configure({ batch: { completionDelayMs: 300 } });
    const first = block();
    await first.b.call([chat(7)], { method: "chat_completion" });
    BatchJournal.closeAll();
    const again = block();
    const rows = await again.b.call([chat(7)], { method: "chat_completion" });
    expect(rows[0]!.result).toMatchObject({ content: "Answer to: q 7" });
    expect(fake.batchStats()).toMatchObject({ created: 1, resubmitted: 0 });
  });

  it("works with OPENAI_BASE_URL set in the environment (the SDK's endpoint option refuses it)", async () => {
    vi.stubEnv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
    try {
      const { b } = block();
      const rows = await b.call([chat(3)], { method: "chat_completion" });
      expect(rows[0]!.result).toMatchObject({ content: "Answer to: q 3" });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("digit batches cancel stops an Azure batch at the provider; its rows fail as cancelled", async () => {
    fake.configure({ batch: { completionDelayMs: 600_000 } });
    const { b } = block();
    const pending = b.call([chat(4), chat(5)], { method: "chat_completion" });
    await vi.waitFor(() => expect(fake.batchStats().created).toBe(1));
    const [id] = fake.batchStats().ids;
    const env = {
      DGT_BATCH_JOURNAL: process.env.DGT_BATCH_JOURNAL!,
      AZURE_OPENAI_API_KEY: KEY,
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    };
    const cancelled = await digit(["batches", "cancel", id!], { env });
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(fake.batchStats().cancelled).toBe(1);
    expect(fake.stats().byPath[`/openai/batches/${id}/cancel`]).toBe(1);
    const rows = await pending;
    expect(rows.map((r) => r.error)).toEqual([
      expect.stringMatching(/cancelled/),
      expect.stringMatching(/cancelled/),
    ]);
  }, 30_000);
});
