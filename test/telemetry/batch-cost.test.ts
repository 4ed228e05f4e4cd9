import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunMetrics } from "../../src/engine/metrics.js";
import { estimateCost, loadPrices } from "../../src/telemetry/prices.js";
import { buildSummary, formatSummary } from "../../src/telemetry/summary.js";

const call = (execution: "online" | "batch" | undefined, prompt: number, completion: number) => ({
  block: "gen",
  provider: "openai",
  model: "gpt-4o-mini",
  task_names: ["qa"],
  prompt_tokens: prompt,
  completion_tokens: completion,
  ok: true,
  retries: 0,
  latency_ms: 1,
  semaphore_wait_ms: 0,
  execution,
});

describe("money at online and batch prices", () => {
  it("batch tokens cost the batch price; online tokens the online price; the summary shows both", () => {
    const m = new RunMetrics();
    m.task("qa", "generation", 3);
    m.llmCall(call(undefined, 1_000_000, 0));
    m.llmCall(call("batch", 1_000_000, 1_000_000));
    m.llmCall(call("batch", 1_000_000, 0));
    const prices = loadPrices(mkdtempSync(join(tmpdir(), "p-")), {});
    const s = buildSummary({
      buildId: "b",
      runId: "r",
      startedAt: m.startedAt,
      tasks: [...m.tasks.values()],
      outcomes: [],
      prices,
    });
    // online: 1M in at 0.15; batch: 2M in at 0.075 and 1M out at 0.3.
    expect(s.tasks[0]).toMatchObject({
      requests: 3,
      batch_requests: 2,
      cost_online_usd: 0.15,
      cost_batch_usd: 0.45,
      cost_usd: 0.6,
    });
    expect(formatSummary(s)).toMatch(/3 \(2 batch\).*\$0\.60 \(batch \$0\.45\)/);
  });

  it("a price without batch entries gets half its online price; a bad batch price is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "p-"));
    writeFileSync(
      join(dir, "digit-prices.json"),
      JSON.stringify({ providers: { acme: { m: { input: 4, output: 8 } } } }),
    );
    expect(estimateCost(loadPrices(dir, {}), "acme", "m", 1_000_000, 1_000_000, "batch")).toBe(6);
    writeFileSync(
      join(dir, "digit-prices.json"),
      JSON.stringify({ providers: { acme: { m: { input: 4, output: 8, batch_input: "cheap" } } } }),
    );
    expect(() => loadPrices(dir, {})).toThrow(/batch_input' must be a number/);
  });
});
