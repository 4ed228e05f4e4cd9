/**
 * Response cache cost and payoff, with `digit run` of the geography QA example through `openai`
 * at the fake LLM server (needs `npm run build`; the bench runs it):
 * The builder's ROUGE dedup postprocessor is left out (it is measured by bench/rouge-dedup).
 *   1. overhead: 1,000 records, 200 ms latency, call limit 64, with the cache (a cold database,
 *      every answer stored) against `--no-cache`, same run; the ratio of wall times.
 *   2. replay: 10,000 records run once to fill the cache, then again with the same seed: the
 *      rerun's wall time (0 requests) per 10,000 records, against the same rerun's start-up floor
 *      (a run of 1 record, also from the cache).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeLLM, startFakeLLM } from "../../src/fake-llm/index.js";

const root = new URL("../..", import.meta.url).pathname;
const LIMIT = 64;

/** One `digit run` of geography QA; resolves with its wall time (s) and exit status. */
function runQA(
  fake: FakeLLM,
  dir: string,
  records: number,
  cacheDir: string,
  extra: string[] = [],
): Promise<{ wallS: number; status: number | null }> {
  const override = join(dir, "override.yaml");
  writeFileSync(
    override,
    [
      "databuilders:",
      "  public/examples/geography_qa:",
      // No ROUGE dedup postprocessing (quadratic in the records; bench/rouge-dedup measures it).
      "    postprocessors: []",
      "    blocks:",
      "      - name: generator",
      "        type: openai",
      "        model_id_or_path: bench-model",
      `        base_url: ${fake.openaiBaseURL}`,
      "        api_key: sk-bench",
      `        max_concurrent_requests: ${LIMIT}`,
    ].join("\n"),
  );
  const out = join(dir, "out");
  const args = [
    "dist/src/cli/main.js",
    "run",
    "tasks/public/examples/qa/task.yaml",
    "--include-namespaces",
    "public",
    "--config-path",
    override,
    "--num-outputs-to-generate",
    String(records),
    "--output-dir",
    out,
    "--restart",
    "--seed",
    "1",
    "--quiet",
    ...extra,
  ];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, DGT_CACHE_DIR: cacheDir, DGT_TELEMETRY_DIR: join(dir, "telemetry") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.once("exit", (status) =>
      resolve({ wallS: (performance.now() - started) / 1000, status }),
    );
  });
}

const f2 = (x: number) => x.toFixed(2);

export async function run(): Promise<void> {
  console.log("building (npm run build) ...");
  spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "ignore" });
  if (!existsSync(join(root, "dist/src/cli/main.js"))) {
    console.log("SKIPPED (dist/src/cli/main.js missing after npm run build)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-cache-"));
  const fake = await startFakeLLM({
    latencyMs: 200,
    responses: ["Question: What is the capital of land {{n}}?\nAnswer: Town {{n}}"],
  });
  try {
    // 1. Overhead: alternate the two so machine load hits both alike; best of 3 each.
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < 3; i++) {
      off.push((await runQA(fake, dir, 1000, join(dir, `unused-${i}`), ["--no-cache"])).wallS);
      on.push((await runQA(fake, dir, 1000, join(dir, `cold-${i}`))).wallS);
    }
    const base = Math.min(...off);
    const cached = Math.min(...on);
    console.log(
      `overhead: 1,000 records, 200 ms latency, limit ${LIMIT}: --no-cache ${f2(base)} s, cache (cold, every answer stored) ${f2(cached)} s = ${f2(cached / base)}x (${f2((cached / base - 1) * 100)} %)`,
    );

    // 2. Replay: fill, then rerun from the cache with no request sent.
    fake.configure({ latencyMs: 0 });
    const warm = join(dir, "warm");
    const fill = await runQA(fake, dir, 10_000, warm);
    if (fill.status !== 0) throw new Error(`filling run exited with ${fill.status}`);
    fake.reset();
    const replay = await runQA(fake, dir, 10_000, warm);
    const sent = fake.stats().requests;
    const floor = await runQA(fake, dir, 1, warm);
    console.log(
      `replay: 10,000 records from the cache in ${f2(replay.wallS)} s per 10,000 (${sent} requests sent); start-up floor (1 record) ${f2(floor.wallS)} s; replay = ${f2(replay.wallS / floor.wallS)}x the floor; filling run ${f2(fill.wallS)} s = ${f2(fill.wallS / replay.wallS)}x the replay`,
    );
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
