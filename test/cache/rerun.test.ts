import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  digitRunOutput,
  fakeBlock,
  readJsonl,
  tempDir,
  writeOverride,
} from "../builders/support.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    responses: ["Question: What is the capital of land {{n}}?\nAnswer: Town {{n}}"],
  });
});
afterAll(() => fake.close());

const TASK = "tasks/public/examples/qa/task.yaml";
const FINAL = "public/examples/geography_qa/final_data.jsonl";

/** Geography QA with its generator pointed at the fake server (`block`: more generator keys). */
function qaArgs(dir: string, extra: string[] = [], block: Record<string, unknown> = {}): string[] {
  const override = writeOverride(dir, "override.yaml", {
    databuilders: {
      "public/examples/geography_qa": {
        blocks: [{ name: "generator", ...fakeBlock("openai", fake), ...block }],
      },
    },
  });
  return [
    TASK,
    "--config-path",
    override,
    "--include-namespaces",
    "public",
    "--num-outputs-to-generate",
    "40",
    "--seed",
    "7",
    "--restart",
    ...extra,
  ];
}

describe("response cache: reruns", () => {
  it("a second identical run sends no request and writes byte-identical final data; --no-cache sends them all again", async () => {
    const dir = tempDir("cache-rerun");
    const out = join(dir, "out");
    fake.reset();
    const first = await digitRunOutput([...qaArgs(dir), "--output-dir", out]);
    expect(first.result, first.stderr).toBe(0);
    const sent = fake.stats().completed;
    expect(sent).toBeGreaterThanOrEqual(40);
    const firstFinal = readFileSync(join(out, FINAL), "utf8");
    // The API key (sk-fake) is neither in a key nor in a stored answer.
    const cacheFiles = readdirSync(process.env.DGT_CACHE_DIR!).map((f) =>
      readFileSync(join(process.env.DGT_CACHE_DIR!, f)).toString("latin1"),
    );
    expect(cacheFiles.join("")).toContain("capital of land");
    expect(cacheFiles.join("")).not.toContain("sk-fake");
    expect(readJsonl(join(out, FINAL)).filter((r) => r.is_seed === false)).toHaveLength(40);

    fake.reset();
    const second = await digitRunOutput([...qaArgs(dir), "--output-dir", out]);
    expect(second.result, second.stderr).toBe(0);
    expect(fake.stats().requests).toBe(0);
    expect(readFileSync(join(out, FINAL), "utf8")).toBe(firstFinal);
    const summary = JSON.parse(readFileSync(join(out, "run_summary.json"), "utf8")) as {
      totals: { cache_hits: number; cache_misses: number; requests: number };
    };
    expect(summary.totals.cache_hits).toBe(sent);
    expect(summary.totals.cache_misses).toBe(0);
    expect(summary.totals.requests).toBe(0);
    expect(second.stdout + second.stderr).toMatch(
      new RegExp(`response cache: ${sent} hits, 0 misses`),
    );
    const results = readJsonl(join(out, "public/examples/geography_qa/task_results.jsonl"));
    expect((results.at(-1)!.metrics as Record<string, unknown>).cache_hits).toBe(sent);

    fake.reset();
    const third = await digitRunOutput([...qaArgs(dir), "--output-dir", out, "--no-cache"]);
    expect(third.result, third.stderr).toBe(0);
    expect(fake.stats().completed).toBe(sent);
  });

  it("--cache-dir selects another database: a run there starts cold", async () => {
    const dir = tempDir("cache-dir");
    fake.reset();
    expect((await digitRunOutput([...qaArgs(dir), "--output-dir", join(dir, "a")])).result).toBe(0);
    const sent = fake.stats().completed;
    fake.reset();
    expect(
      (
        await digitRunOutput([
          ...qaArgs(dir),
          "--output-dir",
          join(dir, "b"),
          "--cache-dir",
          join(dir, "other-cache"),
        ])
      ).result,
    ).toBe(0);
    expect(fake.stats().completed).toBe(sent);
    fake.reset();
    expect(
      (
        await digitRunOutput([
          ...qaArgs(dir),
          "--output-dir",
          join(dir, "c"),
          "--cache-dir",
          join(dir, "other-cache"),
        ])
      ).result,
    ).toBe(0);
    expect(fake.stats().requests).toBe(0);
  });

  it("a rerun of a run by batch API sends nothing: batch answers are stored as they arrive", async () => {
    const dir = tempDir("cache-rerun-batch");
    const out = join(dir, "out");
    const batch = {
      execution: "batch",
      batch: { window: 0.05, poll_interval: 0.05, max_poll_interval: 0.1 },
    };
    fake.reset();
    const first = await digitRunOutput([...qaArgs(dir, [], batch), "--output-dir", out]);
    expect(first.result, first.stderr).toBe(0);
    expect(fake.batchStats().requests).toBeGreaterThanOrEqual(40);
    expect(fake.stats().byPath["/v1/chat/completions"]).toBeUndefined();
    const firstFinal = readFileSync(join(out, FINAL), "utf8");

    fake.reset();
    const second = await digitRunOutput([...qaArgs(dir, [], batch), "--output-dir", out]);
    expect(second.result, second.stderr).toBe(0);
    expect(fake.batchStats()).toMatchObject({ created: 0, requests: 0 });
    expect(fake.stats().requests).toBe(0);
    expect(readFileSync(join(out, FINAL), "utf8")).toBe(firstFinal);
  });
});
