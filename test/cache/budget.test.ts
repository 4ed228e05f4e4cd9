import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  digitRunOutput,
  fakeBlock,
  readJsonl,
  tempDir,
  writeOverride,
} from "../builders/support.js";
import { digit } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { withEnv } from "../support/with-env.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    latencyMs: 5,
    responses: ["Question: What is the capital of land {{n}}?\nAnswer: Town {{n}}"],
  });
});
afterAll(() => fake.close());

const TASK = "tasks/public/examples/qa/task.yaml";
const QA = "public/examples/geography_qa";

/** A price file for the fake model (USD per million tokens) and the override pointing QA at the fake server. */
function setup(
  dir: string,
  taskExtra: Record<string, unknown> = {},
  runExtra: Record<string, unknown> = {},
): { prices: string; override: string } {
  const prices = join(dir, "prices.json");
  writeFileSync(
    prices,
    JSON.stringify({ providers: { openai: { "fake-model": { input: 100, output: 400 } } } }),
  );
  const override = writeOverride(dir, "override.yaml", {
    databuilders: {
      [QA]: {
        blocks: [
          { name: "generator", ...fakeBlock("openai", fake, { max_concurrent_requests: 4 }) },
        ],
      },
    },
    ...(Object.keys(taskExtra).length ? { tasks: { [QA]: taskExtra } } : {}),
    ...runExtra,
  });
  return { prices, override };
}

function runQA(out: string, extra: string[], prices: string, override: string) {
  return withEnv({ DGT_PRICES_FILE: prices }, () =>
    digitRunOutput([
      TASK,
      "--config-path",
      override,
      "--include-namespaces",
      "public",
      "--num-outputs-to-generate",
      "40",
      "--seed",
      "5",
      "--output-dir",
      out,
      ...extra,
    ]),
  );
}

const summaryOf = (out: string) =>
  JSON.parse(readFileSync(join(out, "run_summary.json"), "utf8")) as {
    totals: { cost_usd: number; cache_hits: number; requests: number };
    tasks: { status: string }[];
  };

describe("budget cap", () => {
  it("a run capped at half its cost stops at or under the cap (exit 4, budget_exhausted) and resumes to completion with a higher cap", async () => {
    const dir = tempDir("budget");
    const { prices, override } = setup(dir);
    const full = await withEnv({ DGT_CACHE_DIR: join(dir, "cache-full") }, () =>
      runQA(join(dir, "full"), [], prices, override),
    );
    expect(full.result, full.stderr).toBe(0);
    const cost = summaryOf(join(dir, "full")).totals.cost_usd;
    expect(cost).toBeGreaterThan(0);

    const out = join(dir, "capped");
    const capped = await runQA(out, ["--max-cost", String(cost / 2)], prices, override);
    expect(capped.result, capped.stderr).toBe(4);
    expect(capped.stdout + capped.stderr).toMatch(
      /spending cap of \$[\d.]+ \(--max-cost\) is reached/,
    );
    expect(capped.stdout + capped.stderr).toMatch(/higher cap to resume/);
    const half = summaryOf(out);
    expect(half.totals.cost_usd).toBeLessThanOrEqual(cost / 2);
    expect(half.totals.cost_usd).toBeGreaterThan(0);
    expect(half.tasks[0]!.status).toBe("budget_exhausted");
    const results = readJsonl(join(out, QA, "task_results.jsonl"));
    expect(results.at(-1)!.status).toBe("budget_exhausted");

    const resumed = await runQA(out, ["--max-cost", String(cost * 2)], prices, override);
    expect(resumed.result, resumed.stderr).toBe(0);
    expect(
      readJsonl(join(out, QA, "final_data.jsonl")).filter((r) => r.is_seed === false),
    ).toHaveLength(40);
    // The two capped runs together cost about the uninterrupted one: answers the first run got are reused.
    expect(half.totals.cost_usd + summaryOf(out).totals.cost_usd).toBeLessThanOrEqual(cost * 1.25);
  });

  it("a resumed run starts from what the earlier attempt spent: the same cap lets it spend only the rest", async () => {
    const dir = tempDir("budget-resume");
    const { prices, override } = setup(dir);
    const full = await withEnv({ DGT_CACHE_DIR: join(dir, "cache-full") }, () =>
      runQA(join(dir, "full"), [], prices, override),
    );
    expect(full.result, full.stderr).toBe(0);
    const cost = summaryOf(join(dir, "full")).totals.cost_usd;
    const cap = cost / 2;
    const out = join(dir, "capped");
    const first = await runQA(out, ["--max-cost", String(cap)], prices, override);
    expect(first.result, first.stderr).toBe(4);
    const spentFirst = summaryOf(out).totals.cost_usd;
    // The checkpoint records the spend, including requests of batches the cap left uncommitted.
    const state = readJsonl(join(out, QA, "dataloader_state.jsonl"));
    expect(state.at(-1)!.spent_usd).toBeCloseTo(spentFirst, 9);

    const again = await runQA(out, ["--max-cost", String(cap)], prices, override);
    expect(again.result, again.stderr).toBe(4);
    expect(again.stdout + again.stderr).toMatch(/of it by earlier attempts/);
    const spentAgain = summaryOf(out).totals.cost_usd;
    expect(spentFirst + spentAgain).toBeLessThanOrEqual(cap + 1e-9);
    expect(readJsonl(join(out, QA, "dataloader_state.jsonl")).at(-1)!.spent_usd).toBeCloseTo(
      spentFirst + spentAgain,
      9,
    );

    const done = await runQA(out, ["--max-cost", String(cost * 2)], prices, override);
    expect(done.result, done.stderr).toBe(0);
    expect(
      readJsonl(join(out, QA, "final_data.jsonl")).filter((r) => r.is_seed === false),
    ).toHaveLength(40);
  });

  it("the run config file's budget: caps the whole run (the smaller of it and --max-cost applies)", async () => {
    const dir = tempDir("budget-run-config");
    const { prices, override } = setup(dir, {}, { budget: 0.0002 });
    const r = await runQA(join(dir, "out"), ["--max-cost", "100"], prices, override);
    expect(r.result, r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(
      /the run's spending cap of \$0\.000200 \(budget: in .*override\.yaml\) is reached/,
    );
    expect(summaryOf(join(dir, "out")).totals.cost_usd).toBeLessThanOrEqual(0.0002);
    const lower = await runQA(join(dir, "out2"), ["--max-cost", "0.0001"], prices, override);
    expect(lower.result, lower.stderr).toBe(4);
    expect(lower.stdout + lower.stderr).toMatch(/spending cap of \$0\.000100 \(--max-cost\)/);
  });

  it("refuses a non-numeric or negative budget in the run config or a task, naming the file", async () => {
    fake.reset();
    for (const [task, run] of [
      [{ budget: "ten" }, {}],
      [{}, { budget: "ten" }],
      [{}, { budget: -1 }],
    ] as const) {
      const dir = tempDir("budget-invalid");
      const { prices, override } = setup(dir, task, run);
      const r = await runQA(join(dir, "out"), [], prices, override);
      expect(r.result, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/budget/);
      expect(r.stderr).toMatch(/override\.yaml/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fake.stats().requests).toBe(0);
  });

  it("a task's budget: caps that task", async () => {
    const dir = tempDir("budget-task");
    const { prices, override } = setup(dir, { budget: 0.0001 });
    const r = await runQA(join(dir, "out"), [], prices, override);
    expect(r.result, r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(
      /task 'public\/examples\/geography_qa' reached its budget of \$0\.0001/,
    );
    expect(summaryOf(join(dir, "out")).totals.cost_usd).toBeLessThanOrEqual(0.0001);
  });

  it("refuses a negative or non-numeric --max-cost (usage error) and a negative budget (config error) before anything runs", async () => {
    const dir = tempDir("budget-bad");
    const { prices, override } = setup(dir);
    fake.reset();
    for (const bad of ["-1", "ten", "1e"]) {
      const r = await digit(
        [
          "run",
          TASK,
          "--config-path",
          override,
          "--include-namespaces",
          "public",
          "--output-dir",
          join(dir, "out"),
          "--max-cost",
          bad,
        ],
        { env: { DGT_PRICES_FILE: prices } },
      );
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--max-cost.*amount in USD/);
    }
    const neg = setup(tempDir("budget-neg"), { budget: -2 });
    const r = await runQA(join(dir, "out2"), [], neg.prices, neg.override);
    expect(r.result).toBe(1);
    expect(r.stderr).toMatch(/budget cannot be negative/);
    expect(fake.stats().requests).toBe(0);
  });

  it("names a model that has no price when a cap is set, and how to add one", async () => {
    const dir = tempDir("budget-price");
    const { override } = setup(dir);
    const empty = join(dir, "no-prices.json");
    writeFileSync(empty, JSON.stringify({ providers: {} }));
    fake.reset();
    const r = await runQA(join(dir, "out"), ["--max-cost", "5"], empty, override);
    expect(r.result).toBe(1);
    expect(r.stderr).toMatch(
      /model 'fake-model' of provider 'openai' \(block 'generator' of builder 'public\/examples\/geography_qa'\) has no price/,
    );
    expect(r.stderr).toMatch(/digit-prices\.json/);
    expect(fake.stats().requests).toBe(0);
  });
});
