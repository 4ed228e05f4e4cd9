import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunMetrics } from "../../src/engine/metrics.js";
import { PROGRESS_FILE, ProgressFile } from "../../src/telemetry/progress-file.js";

const prices = { openai: { "gpt-x": { input: 1, output: 2 } } };

function lines(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, PROGRESS_FILE), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("a task's progress.jsonl", () => {
  it("gets a line when a figure changed, with tokens priced, and none when nothing did", () => {
    const dir = mkdtempSync(join(tmpdir(), "progress-"));
    const metrics = new RunMetrics();
    metrics.task("qa", "generation", 10);
    metrics.taskOpened({ task: "qa", builder: "b", dir, resumed: false, accepted: 0 });
    const file = new ProgressFile(metrics, {
      buildId: "exp",
      runId: "r1",
      prices,
      intervalMs: 1e6,
    });
    file.stop();
    metrics.requestStarted("gen");
    metrics.llmCall({
      block: "gen",
      provider: "openai",
      model: "gpt-x",
      task_names: ["qa"],
      prompt_tokens: 1_000_000,
      completion_tokens: 500_000,
      ok: true,
      retries: 1,
      attempt_errors: { "429": 1 },
      latency_ms: 20,
      semaphore_wait_ms: 0,
    });
    metrics.requestStarted("gen");
    metrics.task("qa").accepted = 12;
    metrics.rejected("qa", "judge", 3);
    file.stop();
    file.stop();
    const [first, second, ...more] = lines(dir);
    expect(more).toEqual([]);
    expect(first).toMatchObject({ run_id: "r1", records: 0, requests: 0, cost_usd: 0 });
    expect(second).toMatchObject({
      build_id: "exp",
      task_name: "qa",
      records: 10,
      target: 10,
      rejected: 3,
      requests: 1,
      failed_attempts: 1,
      in_flight: 2,
      prompt_tokens: 1_000_000,
      completion_tokens: 500_000,
      cost_usd: 2,
    });
  });

  it("gives up a file it cannot write with one warning, and the run goes on", () => {
    const dir = mkdtempSync(join(tmpdir(), "progress-"));
    writeFileSync(join(dir, "not-a-folder"), "");
    const metrics = new RunMetrics();
    metrics.taskOpened({
      task: "qa",
      builder: "b",
      dir: join(dir, "not-a-folder"),
      resumed: false,
      accepted: 0,
    });
    const warnings: string[] = [];
    const file = new ProgressFile(metrics, {
      buildId: "exp",
      runId: "r1",
      prices,
      intervalMs: 1e6,
      warn: (m) => warnings.push(m),
    });
    file.stop();
    metrics.task("qa").accepted = 3;
    file.stop();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`could not write ${join(dir, "not-a-folder", PROGRESS_FILE)}`);
    expect(existsSync(join(dir, PROGRESS_FILE))).toBe(false);
  });
});
