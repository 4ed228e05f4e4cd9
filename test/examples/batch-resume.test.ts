import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cliEnv, digit, MAIN, parseJsonl, ROOT, tempDir } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

const TARGET = 2000;
let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    apiKey: "sk-batch-e2e",
    responses: ["Question: What is the capital of land {{n}}?\nAnswer: Town {{n}}"],
  });
});
afterAll(() => fake.close());

/** Geography QA's generator pointed at the fake server's batch API. */
function override(dir: string): string {
  const file = join(dir, "batch.yaml");
  writeFileSync(
    file,
    [
      "databuilders:",
      "  public/examples/geography_qa:",
      "    blocks:",
      "      - name: generator",
      "        type: openai",
      "        model_id_or_path: gpt-4o-mini",
      `        base_url: ${fake.openaiBaseURL}`,
      "        api_key: sk-batch-e2e",
      "        max_tokens: 64",
      "        batch: { window: 0.3, poll_interval: 0.05, max_poll_interval: 0.2 }",
      "",
    ].join("\n"),
  );
  return file;
}

function args(dir: string, extra: string[] = []): string[] {
  return [
    "run",
    "tasks/public/examples/qa/task.yaml",
    "--include-namespaces",
    "public",
    "--config-path",
    override(dir),
    "--output-dir",
    join(dir, "out"),
    "--num-outputs-to-generate",
    String(TARGET),
    "--execution",
    "batch",
    ...extra,
  ];
}

describe("geography QA, 2,000 records by OpenAI's batch API (fake server, real SDK, real CLI)", () => {
  it("completes; SIGKILL while polling and a rerun polls the same batches and submits nothing twice", async () => {
    fake.reset();
    fake.configure({ batch: { completionDelayMs: 600_000 } });
    const dir = tempDir("digit-batch-e2e-");
    const env = { DGT_BATCH_JOURNAL: join(dir, "batches.jsonl") };
    // Node itself (not the tsx wrapper), so the SIGKILL lands on the run.
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args(dir, ["--quiet"])], {
      cwd: ROOT,
      env: cliEnv(env),
      stdio: "ignore",
    });
    const exited = new Promise((r) => child.on("close", r));
    // Kill once every request of the first wave is in a submitted, journaled batch.
    const deadline = Date.now() + 60_000;
    while (
      Date.now() < deadline &&
      !(
        fake.batchStats().requests >= TARGET &&
        existsSync(env.DGT_BATCH_JOURNAL) &&
        readFileSync(env.DGT_BATCH_JOURNAL, "utf8").includes('"submitted"')
      )
    )
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGKILL");
    await exited;
    const before = fake.batchStats();
    expect(before.created).toBeGreaterThan(0);
    expect(before.requests).toBeGreaterThanOrEqual(TARGET);

    fake.configure({ batch: { completionDelayMs: 0 } });
    const r = await digit(args(dir), { env });
    expect(r.code, r.stderr).toBe(0);
    const after = fake.batchStats();
    expect(after.resubmitted).toBe(0);
    // Every batch of the killed run was polled again and its answers used.
    const journal = parseJsonl(readFileSync(env.DGT_BATCH_JOURNAL, "utf8"));
    const ended = new Set(
      journal.filter((e) => e.op === "ended" && e.status === "completed").map((e) => e.local),
    );
    const firstRun = journal.filter(
      (e) => e.op === "submitted" && before.ids.includes(String(e.batch_id)),
    );
    expect(firstRun.length).toBe(before.created);
    expect(firstRun.every((e) => ended.has(e.local))).toBe(true);
    expect(r.stderr).toMatch(/polling batch .* again/);
    const final = parseJsonl(
      readFileSync(join(dir, "out/public/examples/geography_qa/final_data.jsonl"), "utf8"),
    );
    expect(final.filter((x) => x.is_seed === false).length).toBeGreaterThanOrEqual(TARGET);
    // No online request was made; the money is at the batch price.
    expect(fake.stats().byPath["/v1/chat/completions"]).toBeUndefined();
    const summary = JSON.parse(readFileSync(join(dir, "out/run_summary.json"), "utf8")) as {
      tasks: Record<string, unknown>[];
    };
    expect(summary.tasks[0]).toMatchObject({ cost_online_usd: 0 });
    expect(summary.tasks[0]!.batch_requests).toBe(summary.tasks[0]!.requests);
    expect(summary.tasks[0]!.cost_batch_usd).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/\(\d+ batch\).*\(batch \$/);
  }, 120_000);

  it("execution: auto commits the first records online while the batch with the rest is still running", async () => {
    fake.reset();
    fake.configure({ batch: { completionDelayMs: 4_000 } });
    const dir = tempDir("digit-batch-auto-");
    const env = { DGT_BATCH_JOURNAL: join(dir, "batches.jsonl") };
    const done = digit(
      [
        "run",
        "tasks/public/examples/qa/task.yaml",
        "--include-namespaces",
        "public",
        "--config-path",
        override(dir),
        "--output-dir",
        join(dir, "out"),
        "--num-outputs-to-generate",
        "60",
        "--execution",
        "auto",
      ],
      { env },
    );
    await vi.waitFor(() => expect(fake.batchStats().created).toBe(1), {
      timeout: 30_000,
      interval: 50,
    });
    const data = join(dir, "out/public/examples/geography_qa/data.jsonl");
    // While the batch runs, the online answers are records already.
    await vi.waitFor(
      () =>
        expect(
          existsSync(data) && parseJsonl(readFileSync(data, "utf8")).length,
        ).toBeGreaterThanOrEqual(10),
      { timeout: 3_000, interval: 50 },
    );
    expect(fake.stats().byPath["/v1/chat/completions"]).toBe(20);
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "out/run_summary.json"), "utf8")) as {
      tasks: Record<string, unknown>[];
    };
    expect(summary.tasks[0]).toMatchObject({ records: 60 });
    expect(Number(summary.tasks[0]!.requests) - Number(summary.tasks[0]!.batch_requests)).toBe(20);
    // task_results shows the same split and the same money at each price as the summary.
    const results = parseJsonl(
      readFileSync(join(dir, "out/public/examples/geography_qa/task_results.jsonl"), "utf8"),
    );
    const metrics = results.at(-1)!.metrics as Record<string, number>;
    expect(metrics.online_requests).toBe(20);
    expect(metrics.batch_requests).toBe(summary.tasks[0]!.batch_requests);
    expect(metrics.cost_online_usd).toBeGreaterThan(0);
    expect(metrics.cost_batch_usd).toBeGreaterThan(0);
    expect(metrics).toMatchObject({
      cost_usd: summary.tasks[0]!.cost_usd,
      cost_online_usd: summary.tasks[0]!.cost_online_usd,
      cost_batch_usd: summary.tasks[0]!.cost_batch_usd,
    });
  }, 60_000);
});
