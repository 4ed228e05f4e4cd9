import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { RunMetrics } from "../../src/engine/metrics.js";
import { ConsoleLogger } from "../../src/telemetry/logger.js";
import { estimateCost, findPrice, loadPrices } from "../../src/telemetry/prices.js";
import { ProgressDisplay, progressMode } from "../../src/telemetry/progress.js";
import {
  buildSummary,
  formatSummary,
  thousands,
  writeSummary,
} from "../../src/telemetry/summary.js";
import { TaskLogRouter } from "../../src/telemetry/task-logs.js";

const temp = () => mkdtempSync(join(tmpdir(), "digit-rep-"));

function collector(): Writable & { text: string } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string };
  w.text = "";
  return w;
}

function sampleMetrics(): RunMetrics {
  const m = new RunMetrics();
  const t = m.task("qa", "generation", 10);
  t.status = "running";
  t.accepted = 4;
  m.llmCall({
    block: "gen",
    provider: "openai",
    model: "gpt-4o-mini-2024-07-18",
    task_names: ["qa"],
    prompt_tokens: 1000,
    completion_tokens: 200,
    ok: true,
    retries: 1,
    attempt_errors: { "429": 1 },
    latency_ms: 5,
    semaphore_wait_ms: 1,
  });
  m.llmCall({
    block: "gen",
    provider: "openai",
    model: "gpt-4o-mini-2024-07-18",
    task_names: ["qa"],
    prompt_tokens: 0,
    completion_tokens: 0,
    ok: false,
    error_kind: "timeout",
    retries: 0,
    attempt_errors: { timeout: 1 },
    latency_ms: 5,
    semaphore_wait_ms: 1,
  });
  m.rejected("qa", "dedup", 3);
  return m;
}

describe("prices", () => {
  it("finds exact, prefix and wildcard prices; users override and extend them", () => {
    const dir = temp();
    expect(findPrice(loadPrices(dir, {}), "openai", "gpt-4o-mini-2024-07-18")).toEqual({
      input: 0.15,
      output: 0.6,
      batch_input: 0.075,
      batch_output: 0.3,
    });
    expect(
      estimateCost(loadPrices(dir, {}), "openai", "gpt-4o-mini", 1_000_000, 1_000_000),
    ).toBeCloseTo(0.75);
    expect(estimateCost(loadPrices(dir, {}), "mock", "anything", 5, 5)).toBe(0);
    expect(estimateCost(loadPrices(dir, {}), "openai", "my-finetune", 5, 5)).toBeUndefined();
    writeFileSync(
      join(dir, "digit-prices.json"),
      JSON.stringify({ providers: { openai: { "my-finetune": { input: 1, output: 2 } } } }),
    );
    writeFileSync(
      join(dir, "more.json"),
      JSON.stringify({
        providers: {
          openai: { "gpt-4o-mini": { input: 9, output: 9 } },
          "*": { "*": { input: 0.5, output: 0.5 } },
        },
      }),
    );
    const p = loadPrices(dir, { DGT_PRICES_FILE: "more.json" });
    expect(estimateCost(p, "openai", "my-finetune", 1_000_000, 0)).toBe(1);
    expect(findPrice(p, "openai", "gpt-4o-mini")).toEqual({ input: 9, output: 9 });
    expect(findPrice(p, "watsonx", "granite")).toEqual({ input: 0.5, output: 0.5 });
    writeFileSync(join(dir, "bad.json"), "{ nope");
    expect(() => loadPrices(dir, { DGT_PRICES_FILE: "bad.json" })).toThrow(/not valid JSON/);
    expect(() => loadPrices(dir, { DGT_PRICES_FILE: "missing.json" })).toThrow(/does not exist/);
  });
});

describe("run summary", () => {
  it("writes whole numbers with comma separators", () => {
    expect([0, 999, 1000, 12.5, 1234567.4, -1234, 1e6].map(thousands)).toEqual([
      "0",
      "999",
      "1,000",
      "13",
      "1,234,567",
      "-1,234",
      "1,000,000",
    ]);
  });

  it("has status, records, rejects per validator, requests, failures by kind, tokens, cost and time per task", () => {
    const m = sampleMetrics();
    const t = m.task("qa");
    t.status = "completed";
    t.endedAt = t.startedAt + 65_000;
    const summary = buildSummary({
      buildId: "b",
      runId: "r",
      startedAt: m.startedAt,
      endedAt: m.startedAt + 70_000,
      tasks: [...m.tasks.values()],
      outcomes: [{ task: "qa", status: "completed", records: 10, dir: "/out/qa" }],
      prices: loadPrices(temp(), {}),
    });
    expect(summary.tasks).toEqual([
      expect.objectContaining({
        task: "qa",
        status: "completed",
        records: 10,
        target: 10,
        rejected: { dedup: 3 },
        requests: 2,
        failed_requests: 1,
        failures: { "429": 1, timeout: 1 },
        prompt_tokens: 1000,
        completion_tokens: 200,
        cost_usd: 0.00027,
        wall_time_s: 65,
        output: "/out/qa",
      }),
    ]);
    const text = formatSummary(summary);
    expect(text).toMatch(
      /^task\s+status\s+records\s+rejected\s+requests\s+failures\s+tokens in\/out\s+cost\s+time\n/,
    );
    expect(text).toMatch(
      /qa\s+completed\s+10\/10\s+dedup 3\s+2\s+429 1, timeout 1\s+1,000\/200\s+\$0\.0003\s+1m05s/,
    );
    expect(text).not.toContain("\u001b");
    const dir = temp();
    const file = writeSummary(join(dir, "out"), summary);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(summary);
  });

  it("gives no cost when a model has no price, and says which", () => {
    const m = new RunMetrics();
    m.task("t", "transformation");
    m.llmCall({
      block: "b",
      provider: "vllm",
      model: "local-llama",
      task_names: ["t"],
      prompt_tokens: 5,
      completion_tokens: 5,
      ok: true,
      retries: 0,
      latency_ms: 1,
      semaphore_wait_ms: 0,
    });
    const s = buildSummary({
      buildId: "b",
      runId: "r",
      startedAt: m.startedAt,
      tasks: [...m.tasks.values()],
      outcomes: [],
      prices: loadPrices(temp(), {}),
    });
    expect(s.tasks[0]).toMatchObject({ cost_usd: null, unpriced_models: ["vllm/local-llama"] });
    expect(s.totals.cost_usd).toBeNull();
    expect(formatSummary(s)).toMatch(/cost n\/a: no price for vllm\/local-llama/);
  });
});

describe("progress display", () => {
  it("chooses the mode from quiet, log format and the terminal", () => {
    expect(progressMode({ quiet: true, isTTY: true })).toBe("off");
    expect(progressMode({ logFormat: "json", isTTY: true })).toBe("json");
    expect(progressMode({ isTTY: true, env: {} })).toBe("tty");
    expect(progressMode({ isTTY: true, env: { TERM: "dumb" } })).toBe("plain");
    expect(progressMode({ isTTY: false, env: {} })).toBe("plain");
  });

  it("plain mode prints one line per task with every field and no escape codes; json mode prints JSON", () => {
    const m = sampleMetrics();
    m.rates("qa", Date.now() - 10_000);
    m.task("qa").accepted = 6;
    const out = collector();
    const p = new ProgressDisplay(m, {
      mode: "plain",
      stream: out as unknown as NodeJS.WriteStream,
      intervalMs: 1_000_000,
    });
    p.start();
    p.stop();
    expect(out.text).toMatch(
      /^progress: qa: 6\/10 records, 3 rejected, \d+ in flight, [\d.]+ req\/s, tokens 1,000\/200, ETA \S+\n$/,
    );
    expect(out.text).not.toContain("\u001b");
    const jout = collector();
    const j = new ProgressDisplay(m, {
      mode: "json",
      stream: jout as unknown as NodeJS.WriteStream,
      intervalMs: 1_000_000,
    });
    j.start();
    j.stop();
    expect(JSON.parse(jout.text)).toMatchObject({
      msg: "progress",
      task_name: "qa",
      accepted: 6,
      target: 10,
      rejected: 3,
      prompt_tokens: 1000,
      completion_tokens: 200,
    });
  });

  it("tty mode draws a live line per task on a terminal and prints log lines above it", () => {
    const m = sampleMetrics();
    const out = Object.assign(collector(), {
      isTTY: true,
      columns: 200,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    const p = new ProgressDisplay(m, { mode: "tty", stream: out as unknown as NodeJS.WriteStream });
    p.start();
    p.output.write("a log line\n");
    p.stop();
    expect(out.text).toContain("a log line");
    expect(out.text).toMatch(/qa .*4\/10/);
  });

  it("log lines written through the display's output keep their format", () => {
    const out = collector();
    const m = new RunMetrics();
    const p = new ProgressDisplay(m, {
      mode: "json",
      stream: out as unknown as NodeJS.WriteStream,
    });
    new ConsoleLogger("info", { task_name: "t" }, [], p.output).warn("careful", { n: 1 });
    expect(JSON.parse(out.text)).toMatchObject({
      level: "warn",
      msg: "careful",
      task_name: "t",
      n: 1,
    });
  });
});

describe("rates", () => {
  it("measures requests/s and records/s over a window and derives the ETA", () => {
    const m = new RunMetrics();
    const t = m.task("g", "generation", 100);
    const t0 = 1_000_000;
    m.rates("g", t0);
    t.requests = 20;
    t.accepted = 10;
    const r = m.rates("g", t0 + 10_000);
    expect(r.requestsPerSec).toBeCloseTo(2);
    expect(r.recordsPerSec).toBeCloseTo(1);
    expect(r.etaSeconds).toBeCloseTo(90);
    m.requestStarted("gen");
    m.requestStarted("other");
    expect(m.rates("g", t0 + 11_000).inFlight).toBe(2);
    m.llmCall({
      block: "gen",
      provider: "mock",
      model: "m",
      task_names: ["g"],
      prompt_tokens: 0,
      completion_tokens: 0,
      ok: true,
      retries: 0,
      latency_ms: 0,
      semaphore_wait_ms: 0,
    });
    // Once the task's blocks are known, only their requests count.
    expect(m.rates("g", t0 + 12_000).inFlight).toBe(1);
  });
});

describe("task logs", () => {
  it("routes records by task and builder, buffers until the task opens, writes pino JSON lines", () => {
    const dir = temp();
    const logs = new TaskLogRouter({ buildId: "b", runId: "r" });
    const root = new ConsoleLogger("silent", {}, [logs.sink]);
    root.info("run-wide before open");
    root.child({ builder: "B" }).warn("builder early");
    root.child({ task_name: "a" }).info("task a early");
    logs.open({ task: "a", builder: "B", dir: join(dir, "a") });
    logs.open({ task: "c", builder: "C", dir: join(dir, "c") });
    root.child({ task_name: "a" }).debug("task a later", { epoch: 2 });
    root.child({ builder: "B" }).child({ block: "dedup" }).info("block of B");
    logs.close();
    const a = readFileSync(join(dir, "a", "logs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const c = readFileSync(join(dir, "c", "logs.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a.map((x) => x.message)).toEqual([
      "run-wide before open",
      "builder early",
      "task a early",
      "task a later",
      "block of B",
    ]);
    expect(c.map((x) => x.message)).toEqual(["run-wide before open"]);
    expect(a[3]).toMatchObject({
      level: "debug",
      logger: "task.a",
      build_id: "b",
      run_id: "r",
      task_name: "a",
      epoch: 2,
    });
    expect(a[4]).toMatchObject({ logger: "block.dedup", builder: "B" });
    expect(Number.isNaN(Date.parse(String(a[0]!.timestamp)))).toBe(false);
  });
});
