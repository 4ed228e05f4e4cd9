/**
 * Datastore throughput: write then read 1,000,000 records (question, answer, tags, number) as
 * JSONL, Parquet and CSV through the `default` datastore. Writes are appends of 10,000 rows (the
 * engine's path); reads stream the store in a child process, so that each format's peak RSS is
 * its own. Baselines measured in the same run: in-memory JSON.stringify / JSON.parse of the same
 * records (speed) and a child that loads the module and reads nothing (memory).
 *
 * Targets: JSONL ≥ 300k records/s both ways and ≥ 0.6× the in-memory baseline; Parquet within 3×
 * of JSONL; peak RSS while streaming below 300 MB. Rates are given per CPU-second (user + system
 * time of the process doing the work, all its threads), which a loaded machine does not skew;
 * wall-clock rates are printed beside them. BENCH_STORES_RUNS (default 1) repeats the JSONL case.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultDatastore } from "../../src/stores/default/index.js";
import { record } from "./records.js";

const N = Number(process.env.BENCH_STORES_N ?? 1_000_000);
const BATCH = 10_000;
const ROOT = join(import.meta.dirname, "../..");

function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((s, f) => s + sizeOf(join(path, f)), 0);
}

interface ChildRead {
  rows: number;
  ms: number;
  cpuMs: number;
  maxRssMb: number;
}

function readInChild(format: string, dir: string): ChildRead {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "reader.ts"), format, dir],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!) as ChildRead;
}

/** CPU time of this process so far, in ms (user + system, all threads). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Time `work` both ways: wall-clock and CPU ms. */
async function timed(work: () => unknown): Promise<{ ms: number; cpuMs: number }> {
  const t = performance.now();
  const c = cpuMs();
  await work();
  return { ms: performance.now() - t, cpuMs: cpuMs() - c };
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const k = (n: number) => `${Math.round(n / 1000)}k/s`;

/** Write `N` records through a `default` store of `format` (appends of `BATCH`), closed after. */
async function writeStore(dir: string, format: string): Promise<{ ms: number; cpuMs: number }> {
  const store = new DefaultDatastore({
    type: "default",
    store_name: "bench",
    output_dir: dir,
    output_data_format: format,
  });
  return timed(async () => {
    for (let start = 0; start < N; start += BATCH) {
      const rows = [];
      for (let i = start; i < Math.min(N, start + BATCH); i++) rows.push(record(i));
      await store.append(rows);
    }
    // The store keeps its output file open between appends; closing it is part of writing.
    await store.close();
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-stores-"));
  try {
    // Baseline: serialise and parse the records in memory, no I/O.
    const sample: string[] = [];
    const stringify = await timed(() => {
      for (let i = 0; i < N; i++) {
        const s = JSON.stringify(record(i));
        if (i < 100_000) sample.push(s);
      }
    });
    const parse = await timed(() => {
      for (let i = 0; i < N; i++) JSON.parse(sample[i % sample.length]!);
    });
    const base = readInChild("none", dir);
    console.log(
      `records: ${N.toLocaleString()}; baseline in-memory JSON per CPU-second: stringify ${k(rate(N, stringify.cpuMs))}, parse ${k(rate(N, parse.cpuMs))} ` +
        `(wall: ${k(rate(N, stringify.ms))}, ${k(rate(N, parse.ms))}); idle child RSS ${base.maxRssMb.toFixed(0)} MB`,
    );

    const runs = Number(process.env.BENCH_STORES_RUNS ?? 1);
    let held = 0;
    for (let i = 1; i <= runs; i++) {
      const w = await writeStore(dir, "jsonl");
      const r = readInChild("jsonl", dir);
      if (r.rows !== N) throw new Error(`jsonl: read ${r.rows} rows, wrote ${N}`);
      const wr = stringify.cpuMs / w.cpuMs;
      const rr = parse.cpuMs / r.cpuMs;
      const ok =
        wr >= 0.6 && rr >= 0.6 && rate(N, w.cpuMs) >= 300_000 && rate(N, r.cpuMs) >= 300_000;
      if (ok) held++;
      console.log(
        `jsonl run ${i}: write ${k(rate(N, w.cpuMs))} per CPU-second = ${wr.toFixed(2)}× stringify (wall ${k(rate(N, w.ms))} = ${(stringify.ms / w.ms).toFixed(2)}×); ` +
          `read ${k(rate(N, r.cpuMs))} = ${rr.toFixed(2)}× parse (wall ${k(rate(N, r.ms))} = ${(parse.ms / r.ms).toFixed(2)}×)`,
      );
      rmSync(join(dir, "bench.jsonl"), { force: true });
    }
    console.log(
      `jsonl targets (≥ 0.6× and ≥ 300k/s per CPU-second, both ways) held in ${held} of ${runs} run(s)\n`,
    );

    const results: Record<string, { write: number; read: number; size: number; rss: number }> = {};
    for (const format of ["jsonl", "parquet", "csv"]) {
      const w = await writeStore(dir, format);
      const size = sizeOf(join(dir, `bench.${format}`));
      const r = readInChild(format, dir);
      if (r.rows !== N) throw new Error(`${format}: read ${r.rows} rows, wrote ${N}`);
      results[format] = {
        write: rate(N, w.cpuMs),
        read: rate(N, r.cpuMs),
        size,
        rss: r.maxRssMb,
      };
    }
    const json = results.jsonl!;
    const dataMb = json.size / 1e6;
    const baseWrite = rate(N, stringify.cpuMs);
    const baseRead = rate(N, parse.cpuMs);
    console.log(`data size (JSONL) ${dataMb.toFixed(0)} MB; rates per CPU-second\n`);
    console.log(
      "format   write        read         file size           peak RSS reading (vs data size)",
    );
    for (const [format, r] of Object.entries(results)) {
      console.log(
        `${format.padEnd(8)} ${k(r.write).padEnd(7)} ${`${(r.write / baseWrite).toFixed(2)}×b`.padEnd(5)} ${k(r.read).padEnd(7)} ${`${(r.read / baseRead).toFixed(2)}×b`.padEnd(5)} ` +
          `${(r.size / 1e6).toFixed(1).padStart(6)} MB (${(r.size / json.size).toFixed(2)}× jsonl)  ${r.rss.toFixed(0).padStart(4)} MB (${(r.rss / dataMb).toFixed(2)}×, +${(r.rss - base.maxRssMb).toFixed(0)} MB over idle)`,
      );
    }
    const pq = results.parquet!;
    console.log(
      `\nparquet vs jsonl: write ${(json.write / pq.write).toFixed(2)}× slower, read ${(json.read / pq.read).toFixed(2)}× slower (target ≤ 3×); ` +
        `max RSS ${Math.max(...Object.values(results).map((r) => r.rss)).toFixed(0)} MB (target < 300 MB)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
