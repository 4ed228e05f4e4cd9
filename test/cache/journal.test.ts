import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeBlock, readJsonl, tempDir, writeOverride } from "../builders/support.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const TARGET = 500;
const KILLS = 5;

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    latencyMs: 20,
    jitterMs: 60,
    responses: ["Question: What is the capital of land {{n}}?\nAnswer: Town {{n}}"],
  });
});
afterAll(() => fake.close());

/** A seeded PRNG (so a failing trial can be replayed). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** When the server answered each request (ms), to count answers still on their way at a kill. */
const answeredAt: number[] = [];

/**
 * How long after the server answers a request its answer may still be on its way into the client
 * (in socket buffers, or queued behind other answers in the client's event loop): such a request
 * is in flight at a kill as much as one the server is still working on.
 */
const DELIVERY_MS = 200;

/**
 * `digit run` of geography QA (generator: openai at the fake server) in a child process. With
 * `killAfter`, SIGKILL it once the server has answered that many of its requests, and report how
 * many requests were in flight at that instant: being answered, or answered less than
 * DELIVERY_MS before.
 */
function runQA(
  dir: string,
  out: string,
  cacheDir: string,
  killAfter?: number,
): Promise<{ code: number | null; inFlightAtKill: number }> {
  // 100 seed examples, so each batch is 100 requests and a kill finds many answered, uncommitted.
  const seeds = Array.from({ length: 100 }, (_, i) => ({
    question: `What is the capital of seed land ${i}?`,
    answer: `Seed town ${i}`,
  }));
  const override = writeOverride(dir, "override.yaml", {
    databuilders: {
      "public/examples/geography_qa": {
        blocks: [
          { name: "generator", ...fakeBlock("openai", fake, { max_concurrent_requests: 32 }) },
        ],
      },
    },
    tasks: { "public/examples/geography_qa": { seed_examples: seeds } },
  });
  const args = [
    "--import",
    "tsx",
    join(ROOT, "src/cli/main.ts"),
    "run",
    "tasks/public/examples/qa/task.yaml",
    "--config-path",
    override,
    "--include-namespaces",
    "public",
    "--output-dir",
    out,
    "--num-outputs-to-generate",
    String(TARGET),
    "--seed",
    "3",
    "--quiet",
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: "ignore",
    env: { ...process.env, DGT_CACHE_DIR: cacheDir },
  });
  const start = answeredAt.length;
  let inFlightAtKill = 0;
  fake.configure({
    respond: () => {
      const now = Date.now();
      answeredAt.push(now);
      if (killAfter !== undefined && answeredAt.length - start === killAfter) {
        child.kill("SIGKILL");
        // This request, the ones the server is still working on, and recent answers.
        inFlightAtKill =
          fake.stats().inFlight + answeredAt.filter((t) => now - t < DELIVERY_MS).length - 1;
      }
      return undefined as never;
    },
  });
  return new Promise((done) => child.once("exit", (code) => done({ code, inFlightAtKill })));
}

describe("request journal: SIGKILL at random instants, resumed each time", () => {
  it("re-sends only requests that were in flight at a kill, and ends with the uninterrupted run's records", async () => {
    const dir = tempDir("journal");
    fake.reset();
    const baseline = await runQA(dir, join(dir, "baseline"), join(dir, "cache-baseline"));
    expect(baseline.code).toBe(0);
    const uninterrupted = fake.stats().requests;
    expect(uninterrupted).toBeGreaterThanOrEqual(TARGET);

    fake.reset();
    const random = lcg(20261204);
    const out = join(dir, "killed");
    const cache = join(dir, "cache-killed");
    let inFlight = 0;
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      // Somewhere in the next sixth of the run's requests.
      const r = await runQA(dir, out, cache, 1 + Math.floor(random() * (uninterrupted / 6)));
      if (r.code === 0) break; // finished before the kill point
      kills++;
      inFlight += r.inFlightAtKill;
    }
    const last = await runQA(dir, out, cache);
    expect(last.code).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(3);
    const total = fake.stats().requests;
    expect(total).toBeGreaterThanOrEqual(uninterrupted);
    expect(total - uninterrupted).toBeLessThanOrEqual(inFlight);

    const final = (d: string) =>
      readJsonl(join(d, "public/examples/geography_qa/final_data.jsonl"));
    expect(final(out)).toHaveLength(final(join(dir, "baseline")).length);
    expect(final(out).filter((r) => r.is_seed === false)).toHaveLength(TARGET);
    expect(existsSync(join(cache, "responses.sqlite"))).toBe(true);
    expect(
      readFileSync(join(out, "public/examples/geography_qa/dataloader_state.jsonl"), "utf8"),
    ).toMatch(/"draws":\d+/);
  }, 120_000);
});
