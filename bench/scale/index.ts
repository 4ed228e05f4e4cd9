/**
 * Scale: the figures of issue 17, each next to a baseline measured in the same run.
 *
 * 1. `core/pipeline` with one `field_map` step over 1,000,000 and 10,000,000 JSONL records,
 *    whole `digit run` process: records/s and peak RSS (targets ≥ 100,000 records/s, < 300 MB).
 *    Baseline: a bare Node script streaming the same file through JSON.parse/stringify.
 * 2. Generation of 100,000 records (geography QA, mock provider) with a `minhash_dedup`
 *    postprocessor: peak RSS (target < 300 MB).
 * 3. `minhash_dedup` over 1,000,000 short texts (target < 60 s), and recall / precision of its
 *    decisions against an exact greedy Jaccard dedup at the same threshold on the first 10,000.
 * 4. JSONL write and read through the default datastore, 3 runs of 1,000,000 records, each as a
 *    ratio of the in-memory JSON.stringify / JSON.parse rate (targets ≥ 300k/s and ≥ 0.6); reads
 *    row by row (`Datastore.read()`) and in the reader's batches (what the engine's loader takes).
 *
 * Sizes: BENCH_SCALE_SIZES (default "1000000,10000000"), BENCH_SCALE_GEN (100000),
 * BENCH_SCALE_MINHASH (1000000); BENCH_SCALE_GEN_DEDUP ("minhash", or "minhash,rouge"). Needs `npm run build` (run here). Start-up on Node 20/22/24 is
 * `npm run bench startup`; the LLM-bound CLI on each runtime is `npm run bench lm-throughput`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonlRates, type Rate } from "./jsonl.js";
import { exactDedup, minhashDedup, SETTINGS, shortTexts } from "./minhash.js";
import { generationCase, type ProcessFigures, pipelineCase } from "./pipeline.js";

const ROOT = join(import.meta.dirname, "../..");
const sizes = (process.env.BENCH_SCALE_SIZES ?? "1000000,10000000")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const GEN = Number(process.env.BENCH_SCALE_GEN ?? 100_000);
const MINHASH = Number(process.env.BENCH_SCALE_MINHASH ?? 1_000_000);
const GEN_DEDUP = (process.env.BENCH_SCALE_GEN_DEDUP ?? "minhash")
  .split(",")
  .filter((d): d is "minhash" | "rouge" => d === "minhash" || d === "rouge");
const SAMPLE = 10_000;

const k = (x: number) => `${Math.round(x / 1000)}k`;
const mark = (ok: boolean) => (ok ? "meets" : "MISSES");

function checked(label: string, f: ProcessFigures): ProcessFigures {
  if (f.code !== 0) throw new Error(`${label} exited with ${f.code}: ${f.stderr.slice(-2000)}`);
  return f;
}

export async function run(): Promise<void> {
  console.log("building (npm run build) ...");
  spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-scale-"));
  try {
    console.log("\n1. core/pipeline, one field_map step (whole process)");
    for (const n of sizes) {
      const { digit, baseline } = await pipelineCase(dir, n);
      checked("digit run", digit);
      const rate = n / digit.seconds;
      const cpuRate = n / digit.cpuSeconds;
      const base = n / baseline.seconds;
      const baseCpu = n / baseline.cpuSeconds;
      console.log(
        `  ${n.toLocaleString().padStart(10)} records: ${k(rate)} records/s wall (${digit.seconds.toFixed(1)} s), ${k(cpuRate)} per CPU-second ` +
          `(${digit.cpuSeconds.toFixed(1)} s), peak RSS ${digit.maxRssMb.toFixed(0)} MB\n` +
          `    baseline script: ${k(base)}/s wall, ${k(baseCpu)} per CPU-second, ${baseline.maxRssMb.toFixed(0)} MB; ` +
          `digit ${(rate / base).toFixed(2)}× its wall rate, ${(cpuRate / baseCpu).toFixed(2)}× its CPU rate; ` +
          `${mark(rate >= 100_000)} 100k/s wall (${mark(cpuRate >= 100_000)} per CPU-second), ${mark(digit.maxRssMb < 300)} 300 MB`,
      );
      rmSync(join(dir, "out"), { recursive: true, force: true });
      rmSync(join(dir, `in-${n}.jsonl`), { force: true });
      rmSync(join(dir, "baseline.jsonl"), { force: true });
    }

    if (GEN > 0)
      console.log(
        `\n2. generation of ${GEN.toLocaleString()} records, mock provider, dedup postprocessor (whole process)`,
      );
    // The example's own rouge_scorer (threshold 1.0) by request only: ROUGE-L is not row-wise,
    // so each postprocessing epoch hands it every accepted record at once (by design).
    for (const dedup of GEN > 0 ? GEN_DEDUP : []) {
      const f = checked(`generation (${dedup})`, await generationCase(dir, GEN, dedup));
      console.log(
        `  ${dedup} (threshold ${dedup === "minhash" ? 0.9 : 1.0}): ${f.seconds.toFixed(1)} s wall, ${f.cpuSeconds.toFixed(1)} CPU-s, peak RSS ${f.maxRssMb.toFixed(0)} MB; ${mark(f.maxRssMb < 300)} 300 MB`,
      );
    }

    console.log(
      `\n3. minhash_dedup over ${MINHASH.toLocaleString()} short texts (${JSON.stringify(SETTINGS)}, 128 permutations)`,
    );
    const texts = shortTexts(MINHASH);
    let t = performance.now();
    const cpu0 = process.cpuUsage();
    const removed = await minhashDedup(texts);
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e6;
    console.log(
      `  ${seconds.toFixed(1)} s wall, ${cpu.toFixed(1)} CPU-s (${k(MINHASH / seconds)} texts/s), ${removed.size.toLocaleString()} removed; ${mark(seconds < 60)} 60 s`,
    );
    const sample = texts.slice(0, SAMPLE);
    t = performance.now();
    const exact = exactDedup(sample);
    const exactS = (performance.now() - t) / 1000;
    const approx = await minhashDedup(sample);
    let both = 0;
    for (const i of approx) if (exact.has(i)) both++;
    const recall = exact.size ? both / exact.size : 1;
    const precision = approx.size ? both / approx.size : 1;
    console.log(
      `  first ${SAMPLE.toLocaleString()}: exact greedy Jaccard removes ${exact.size} (${exactS.toFixed(1)} s, all pairs), minhash ${approx.size}; ` +
        `recall ${recall.toFixed(3)} (${mark(recall >= 0.9)} 0.9), precision ${precision.toFixed(3)} (${mark(precision >= 0.95)} 0.95)`,
    );

    console.log(
      "\n4. JSONL through the default datastore, 1,000,000 records, 3 runs (ratio to in-memory JSON, per CPU-second and per wall second)",
    );
    const bys = ["cpu", "wall"] as const;
    /** Runs in which the targets held, per measure: reading row by row, and in batches. */
    const held = { cpu: { rows: 0, batches: 0 }, wall: { rows: 0, batches: 0 } };
    for (let i = 1; i <= 3; i++) {
      const r = await jsonlRates(1_000_000);
      const lines = bys.map((by) => {
        const ratio = (a: Rate, b: Rate) => a[by] / b[by];
        const meets = (a: Rate, b: Rate) => a[by] >= 300_000 && ratio(a, b) >= 0.6;
        const writes = meets(r.write, r.stringify);
        if (writes && meets(r.read, r.parse)) held[by].rows++;
        if (writes && meets(r.readBatches, r.parse)) held[by].batches++;
        return (
          `write ${k(r.write[by])}/s = ${ratio(r.write, r.stringify).toFixed(2)}× stringify (${k(r.stringify[by])}/s); ` +
          `read ${k(r.read[by])}/s = ${ratio(r.read, r.parse).toFixed(2)}× parse (${k(r.parse[by])}/s) row by row, ` +
          `${k(r.readBatches[by])}/s = ${ratio(r.readBatches, r.parse).toFixed(2)}× in batches`
        );
      });
      console.log(`  run ${i} per CPU-second: ${lines[0]}\n        per wall second: ${lines[1]}`);
    }
    for (const by of bys)
      console.log(
        `  targets (≥ 300k/s and ≥ 0.6× both ways) per ${by === "cpu" ? "CPU-second" : "wall second"}: held in ${held[by].rows} of 3 runs reading row by row, ${held[by].batches} of 3 reading in batches (the engine's path)`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
