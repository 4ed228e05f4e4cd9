/**
 * Response cache cost and payoff, with `digit run` of the geography QA example through `openai`
 * at the fake LLM server (needs `npm run build`; the bench runs it):
 * The builder's ROUGE dedup postprocessor is left out (it is measured by bench/rouge-dedup).
 *   1. overhead: 1,000 records, 200 ms latency, call limit 64, with the cache (a cold database,
 *      every answer stored) against `--no-cache`, same run; the ratio of wall times.
 *   2. replay: 10,000 records run once to fill the cache, then again with the same seed: the
 *      rerun's wall and CPU time (0 requests) per 10,000 records, against the same rerun's
 *      start-up floor (a run of 1 record, also from the cache). CPU time (user + sys, read with
 *      GNU time) is the steadier figure on a loaded machine.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeLLM, startFakeLLM } from "../../src/fake-llm/index.js";

const root = new URL("../..", import.meta.url).pathname;
const LIMIT = 64;

/** GNU time, to read a run's CPU seconds (user + sys); without it only wall time is reported. */
const TIME = ["/usr/bin/time", "/bin/time"].find((p) => existsSync(p));

/**
 * One `digit run` of geography QA; resolves with its wall time (s), its CPU time (user + sys,
 * s; NaN without GNU time) and exit status.
 */
function runQA(
  fake: FakeLLM,
  dir: string,
  records: number,
  cacheDir: string,
  extra: string[] = [],
): Promise<{ wallS: number; cpuS: number; status: number | null }> {
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
  const cpuFile = join(dir, "cpu.txt");
  const [cmd, ...argv] = TIME
    ? [TIME, "-o", cpuFile, "-f", "%U %S", process.execPath, ...args]
    : [process.execPath, ...args];
  return new Promise((resolve) => {
    const child = spawn(cmd!, argv, {
      cwd: root,
      env: { ...process.env, DGT_CACHE_DIR: cacheDir, DGT_TELEMETRY_DIR: join(dir, "telemetry") },
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.once("exit", (status) => {
      const wallS = (performance.now() - started) / 1000;
      const cpu = TIME ? readFileSync(cpuFile, "utf8").trim().split("\n").pop()! : "";
      const [user, sys] = cpu.split(" ").map(Number);
      resolve({ wallS, cpuS: TIME ? user! + sys! : Number.NaN, status });
    });
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
    const off: { wallS: number; cpuS: number }[] = [];
    const on: { wallS: number; cpuS: number }[] = [];
    for (let i = 0; i < 3; i++) {
      off.push(await runQA(fake, dir, 1000, join(dir, `unused-${i}`), ["--no-cache"]));
      on.push(await runQA(fake, dir, 1000, join(dir, `cold-${i}`)));
    }
    const best = (runs: { wallS: number; cpuS: number }[], k: "wallS" | "cpuS") =>
      Math.min(...runs.map((r) => r[k]));
    const base = best(off, "wallS");
    const cached = best(on, "wallS");
    console.log(
      `overhead: 1,000 records, 200 ms latency, limit ${LIMIT}: --no-cache ${f2(base)} s, cache (cold, every answer stored) ${f2(cached)} s = ${f2(cached / base)}x (${f2((cached / base - 1) * 100)} %)`,
    );
    const baseCpu = best(off, "cpuS");
    const cachedCpu = best(on, "cpuS");
    console.log(
      `overhead CPU (user + sys, best of 3): --no-cache ${f2(baseCpu)} s, cache ${f2(cachedCpu)} s = ${f2(cachedCpu / baseCpu)}x`,
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
      `replay: 10,000 records from the cache in ${f2(replay.wallS)} s wall per 10,000 (${sent} requests sent); start-up floor (1 record) ${f2(floor.wallS)} s; replay = ${f2(replay.wallS / floor.wallS)}x the floor; filling run ${f2(fill.wallS)} s = ${f2(fill.wallS / replay.wallS)}x the replay`,
    );
    console.log(
      `replay CPU (user + sys): ${f2(replay.cpuS)} s per 10,000 records; floor ${f2(floor.cpuS)} s = ${f2(replay.cpuS / floor.cpuS)}x; filling run ${f2(fill.cpuS)} s = ${f2(fill.cpuS / replay.cpuS)}x the replay`,
    );
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
