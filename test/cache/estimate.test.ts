import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeBlock, tempDir, writeOverride } from "../builders/support.js";
import { digit } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({});
});
afterAll(() => fake.close());

const TASK = "tasks/public/examples/qa/task.yaml";

/** Geography QA with its generator set to gpt-4o-mini at `fake` (the user's endpoint). */
function override(dir: string): string {
  return writeOverride(dir, "override.yaml", {
    databuilders: {
      "public/examples/geography_qa": {
        blocks: [
          { name: "generator", ...fakeBlock("openai", fake, { model_id_or_path: "gpt-4o-mini" }) },
        ],
      },
    },
  });
}

describe("digit estimate and digit run --dry-run", () => {
  it("estimates requests, tokens and a cost range per task from a pilot, paying and writing nothing", async () => {
    const dir = tempDir("estimate");
    fake.reset();
    const r = await digit(
      [
        "estimate",
        TASK,
        "--include-namespaces",
        "public",
        "--config-path",
        override(dir),
        "--num-outputs-to-generate",
        "200",
        "--calls-per-record",
        "2",
        "--json",
      ],
      { cwd: undefined, env: { DGT_CACHE_DIR: join(dir, "cache") } },
    );
    expect(r.code, r.stderr).toBe(0);
    const [e] = JSON.parse(r.stdout) as {
      task: string;
      records: number;
      requests: number;
      prompt_tokens: number;
      completion_tokens: { low: number; high: number };
      cost_usd: { low: number; high: number };
      exact_tokens: boolean;
      calls_per_record_from: string;
    }[];
    expect(e).toMatchObject({
      task: "public/examples/geography_qa",
      records: 200,
      requests: 400,
      exact_tokens: true,
      calls_per_record_from: "declared",
    });
    // Each prompt is a template with three examples: some 80 to 200 tokens.
    expect(e!.prompt_tokens / 400).toBeGreaterThan(50);
    expect(e!.prompt_tokens / 400).toBeLessThan(300);
    // max_tokens 128 per request at the high end; gpt-4o-mini at $0.15 / $0.60 per million.
    expect(e!.completion_tokens.high).toBe(400 * 128);
    expect(e!.cost_usd.low).toBeLessThan(e!.cost_usd.high);
    expect(e!.cost_usd.high).toBeCloseTo((e!.prompt_tokens * 0.15 + 400 * 128 * 0.6) / 1e6, 6);
    // The user's endpoint got nothing, and no cache or output was written.
    expect(fake.stats().requests).toBe(0);
    expect(existsSync(join(dir, "cache"))).toBe(false);
  });

  it("the pilot measures requests per record: the fake server's answers make geography records", async () => {
    const dir = tempDir("estimate-pilot");
    fake.reset();
    const r = await digit(
      [
        "estimate",
        TASK,
        "--include-namespaces",
        "public",
        "--config-path",
        override(dir),
        "--num-outputs-to-generate",
        "40",
        "--pilot",
        "4",
        "--json",
      ],
      { cwd: undefined, env: { DGT_CACHE_DIR: join(dir, "cache") } },
    );
    expect(r.code, r.stderr).toBe(0);
    const [e] = JSON.parse(r.stdout) as {
      requests: number;
      calls_per_record: number;
      calls_per_record_from: string;
    }[];
    expect(e!.calls_per_record_from).toBe("pilot");
    // One chat request per record: every fake answer parses, none repeats for the dedup to drop.
    expect(e!.calls_per_record).toBe(1);
    expect(e!.requests).toBe(40);
    expect(fake.stats().requests).toBe(0);
  });

  it("run --dry-run prints the estimate, sends nothing and writes no output", async () => {
    const dir = tempDir("dry-run");
    fake.reset();
    const out = join(dir, "out");
    const r = await digit([
      "run",
      TASK,
      "--include-namespaces",
      "public",
      "--config-path",
      override(dir),
      "--num-outputs-to-generate",
      "50",
      "--output-dir",
      out,
      "--dry-run",
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Requests per record measured by the pilot (the fake server's default script answers the
    // geography prompt as "Question: ... Answer: ..."), not assumed.
    expect(r.stdout).toMatch(/public\/examples\/geography_qa\s+50\s+50 \(1\/record\)/);
    expect(r.stdout).toMatch(/\$\d+\.\d+–\$\d+\.\d+/);
    expect(r.stdout).not.toMatch(/assumed|--calls-per-record/);
    expect(fake.stats().requests).toBe(0);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});
