import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { type CliResult, digit, parseJsonl, ROOT, tempDir } from "./helpers.js";

type Rec = Record<string, unknown>;

// A generation task (geography QA through the `openai` provider) and a transformation task, in one
// run against the fake OpenAI server; then the generation task again, resumed with a higher target.
describe("telemetry of a run against the fake LLM server", () => {
  let fake: FakeLLM;
  const work = tempDir();
  const telemetryDir = join(work, "telemetry");
  const out = join(work, "out");
  let first: CliResult;
  let second: CliResult;
  let firstStats: ReturnType<FakeLLM["stats"]>;
  let secondStats: ReturnType<FakeLLM["stats"]>;
  let events: Rec[];
  let traces: Rec[];

  beforeAll(async () => {
    fake = await startFakeLLM({
      responses: [
        "Question: Which city is number {{n}} on the map?\nAnswer: City {{n}}",
        "Question: Which river is always the same?\nAnswer: The Same River {{n}}",
      ],
      // One failure that a retry recovers from, so retries and failure counts are exercised.
      failures: [{ kind: "500", count: 1 }],
    });
    const env = {
      FAKE_LLM_BASE_URL: fake.openaiBaseURL,
      DGT_TELEMETRY_DISABLE: "",
      DGT_TELEMETRY_DIR: telemetryDir,
      DGT_PROGRESS_INTERVAL_MS: "100000",
    };
    const args = [
      "run",
      join(ROOT, "tasks/public/examples/qa/task.yaml"),
      join(ROOT, "test/cli/fixtures/tasks/transform.yaml"),
      "--include-namespaces",
      "public",
      "--plugin-dir",
      join(ROOT, "test/cli/fixtures/plugins"),
      "--config-path",
      join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
      "--output-dir",
      out,
      "--build-id",
      "telemetry-test",
    ];
    first = await digit([...args, "--num-outputs-to-generate", "6", "--restart"], {
      cwd: work,
      env,
    });
    firstStats = fake.stats();
    fake.reset();
    second = await digit(
      [
        "run",
        join(ROOT, "tasks/public/examples/qa/task.yaml"),
        "--include-namespaces",
        "public",
        "--config-path",
        join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
        "--output-dir",
        out,
        "--build-id",
        "telemetry-test",
        "--num-outputs-to-generate",
        "30",
      ],
      { cwd: work, env },
    );
    secondStats = fake.stats();
    events = parseJsonl(readFileSync(join(telemetryDir, "events.jsonl"), "utf8"));
    traces = parseJsonl(readFileSync(join(telemetryDir, "traces.jsonl"), "utf8"));
  }, 120_000);

  afterAll(async () => {
    await fake?.close();
  });

  it("both runs succeed", () => {
    expect(first.stderr).not.toMatch(/internal error/);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
  });

  it("writes every lifecycle event kind, including rejections and resume", () => {
    const kinds = new Set(events.map((e) => e.event));
    for (const k of [
      "run_started",
      "task_started",
      "epoch_started",
      "epoch_finished",
      "postprocessing_finished",
      "data_point_rejected",
      "transformation_finished",
      "task_finished",
      "run_finished",
      "task_resumed",
    ]) {
      expect(kinds, k).toContain(k);
    }
    const resumed = events.find((e) => e.event === "task_resumed")!;
    expect(resumed.task_name).toBe("public/examples/geography_qa");
    expect(resumed.records).toBeGreaterThanOrEqual(6);
    const rejected = events.filter((e) => e.event === "data_point_rejected");
    expect(
      rejected.every(
        (e) =>
          e.block_name === "dedup" &&
          e.task_name === "public/examples/geography_qa" &&
          Number(e.count) > 0,
      ),
    ).toBe(true);
    for (const e of events) {
      expect(e.build_id).toBe("telemetry-test");
      expect(typeof e.run_id).toBe("string");
      expect(Number.isNaN(Date.parse(String(e.timestamp)))).toBe(false);
    }
    // Two invocations, two run ids (the resume run made requests of its own).
    expect(new Set(events.map((e) => e.run_id)).size).toBe(2);
  });

  it("writes every span kind with ids, parent ids and parent names that join up", () => {
    const kinds = new Set(traces.map((s) => s.span_name));
    for (const k of ["dgt.run", "dgt.block", "dgt.postprocessing", "dgt.llm_call"])
      expect(kinds, k).toContain(k);
    const byId = new Map(traces.map((s) => [s.span_id, s]));
    expect(byId.size).toBe(traces.length);
    const allowedParents: Record<string, string[]> = {
      "dgt.run": [],
      "dgt.block": ["dgt.run", "dgt.postprocessing"],
      "dgt.postprocessing": ["dgt.run"],
      "dgt.llm_call": ["dgt.block"],
    };
    for (const s of traces) {
      expect(["ok", "error", "cancelled"]).toContain(s.status);
      expect(typeof s.duration_ms).toBe("number");
      if (s.parent_span_id === null) {
        expect(s.span_name).toBe("dgt.run");
        continue;
      }
      const parent = byId.get(s.parent_span_id);
      expect(parent, `parent of ${String(s.span_name)}`).toBeDefined();
      expect(s.parent_span_name).toBe(parent!.span_name);
      expect(s.run_id).toBe(parent!.run_id);
      expect(allowedParents[String(s.span_name)]).toContain(parent!.span_name);
    }
    // Events name the span they happened in, and that span exists.
    for (const e of events.filter((x) => x.span_id !== null))
      expect(byId.has(e.span_id)).toBe(true);
    expect(events.find((e) => e.event === "data_point_rejected")!.span_id).not.toBeNull();
  });

  it("records one llm_call span per request, with the tokens the server reported", () => {
    const runIds = [...new Set(events.map((e) => e.run_id))];
    const firstRun = events.find((e) => e.event === "run_started")!.run_id;
    for (const [runId, stats] of [
      [firstRun, firstStats],
      [runIds.find((r) => r !== firstRun), secondStats],
    ] as const) {
      const calls = traces.filter((s) => s.span_name === "dgt.llm_call" && s.run_id === runId);
      expect(calls.reduce((n, s) => n + Number(s.prompt_tokens), 0)).toBe(stats.promptTokens);
      expect(calls.reduce((n, s) => n + Number(s.completion_tokens), 0)).toBe(
        stats.completionTokens,
      );
      expect(calls.filter((s) => s.status === "ok").length).toBe(stats.completed);
      for (const s of calls) {
        expect(s.provider).toBe("openai");
        expect(s.model_id).toBe("fake-model");
        expect(typeof s.semaphore_wait_ms).toBe("number");
        expect(typeof s.retries).toBe("number");
        // Prompts are not recorded unless DGT_TELEMETRY_RECORD_PAYLOADS is set.
        expect(s).not.toHaveProperty("messages");
        expect(s).not.toHaveProperty("prompt");
      }
    }
    const retried = traces.filter((s) => s.span_name === "dgt.llm_call" && Number(s.retries) > 0);
    expect(retried.length).toBe(1);
    expect(retried[0]!.attempt_errors).toEqual({ "5xx": 1 });
  });

  it("writes run_summary.json with tokens equal to the server's and failures by kind", () => {
    const summary = JSON.parse(readFileSync(join(out, "run_summary.json"), "utf8")) as {
      tasks: Rec[];
      totals: Rec;
    };
    // The second run overwrote it: only the resumed generation task.
    expect(summary.tasks.map((t) => t.task)).toEqual(["public/examples/geography_qa"]);
    const t = summary.tasks[0]!;
    expect(t.status).toBe("completed");
    expect(t.resumed).toBe(true);
    expect(t.records).toBe(30);
    expect(t.requests).toBeGreaterThan(0);
    expect(t.prompt_tokens).toBe(secondStats.promptTokens);
    expect(t.completion_tokens).toBe(secondStats.completionTokens);
    expect(t.cost_usd).toBeNull();
    expect(t.unpriced_models).toEqual(["openai/fake-model"]);
    expect(first.stdout).toMatch(/public\/examples\/geography_qa\s+completed\s+6\/6/);
    expect(first.stdout).toMatch(/test\/fake_transform\s+completed\s+5\b/);
    expect(first.stdout).toMatch(/5xx 1/);
  });

  it("writes each task's logs.jsonl with pino records", () => {
    const file = join(out, "public/examples/geography_qa/logs.jsonl");
    expect(existsSync(file)).toBe(true);
    const logs = parseJsonl(readFileSync(file, "utf8"));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(["debug", "info", "warn", "error"]).toContain(l.level);
      expect(typeof l.message).toBe("string");
      expect(l.build_id).toBe("telemetry-test");
    }
    expect(logs.some((l) => String(l.message).includes("postprocessing epoch"))).toBe(true);
    // The transformation task's log does not get the generation task's records.
    const other = parseJsonl(readFileSync(join(out, "test/fake_transform/logs.jsonl"), "utf8"));
    expect(other.some((l) => l.task_name === "public/examples/geography_qa")).toBe(false);
  });
  it("appends each task's counters to its progress.jsonl, ending with what the summary says", () => {
    const lines = parseJsonl(
      readFileSync(join(out, "public/examples/geography_qa/progress.jsonl"), "utf8"),
    );
    const runs = [...new Set(lines.map((l) => l.run_id))];
    // Both runs appended (resume keeps the file); each run's last line has its final figures.
    expect(runs.length).toBe(2);
    const summary = JSON.parse(readFileSync(join(out, "run_summary.json"), "utf8")) as {
      run_id: string;
      tasks: Rec[];
    };
    expect(runs[1]).toBe(summary.run_id);
    const last = lines.at(-1)!;
    const t = summary.tasks[0]!;
    expect(last).toMatchObject({
      task_name: "public/examples/geography_qa",
      build_id: "telemetry-test",
      status: "completed",
      records: 30,
      target: 30,
      requests: t.requests,
      prompt_tokens: secondStats.promptTokens,
      completion_tokens: secondStats.completionTokens,
      in_flight: 0,
      cost_usd: null,
    });
    const firstRun = lines.filter((l) => l.run_id === runs[0]);
    expect(firstRun.at(-1)).toMatchObject({ status: "completed", records: 6 });
    // The one injected failure hit whichever task sent the first request: across the first run's
    // tasks, their last lines count it once.
    const transformLines = parseJsonl(
      readFileSync(join(out, "test/fake_transform/progress.jsonl"), "utf8"),
    );
    const lastOfFirstRun = [firstRun.at(-1)!, transformLines.at(-1)!];
    expect(lastOfFirstRun.reduce((n, l) => n + Number(l.failed_attempts), 0)).toBe(1);
    // Counters only grow within a run, and times only move forward.
    for (const run of [firstRun, lines.filter((l) => l.run_id === runs[1])])
      for (let i = 1; i < run.length; i++) {
        expect(Number(run[i]!.records)).toBeGreaterThanOrEqual(Number(run[i - 1]!.records));
        expect(Number(run[i]!.requests)).toBeGreaterThanOrEqual(Number(run[i - 1]!.requests));
        expect(String(run[i]!.time) >= String(run[i - 1]!.time)).toBe(true);
      }
  });
});
