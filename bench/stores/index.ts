/**
 * Datastore throughput: write then read 1,000,000 records (question, answer, tags, number) as
 * JSONL, Parquet and CSV through the `default` datastore. Writes are appends of 10,000 rows (the
 * engine's path); reads stream the store in a child process, so that each format's peak RSS is
 * its own. Baselines measured in the same run: in-memory JSON.stringify / JSON.parse of the same
 * records (speed) and a child that loads the module and reads nothing (memory).
 *
 * Targets: JSONL ≥ 300k records/s both ways; Parquet within 3× of JSONL; peak RSS while
 * streaming below 300 MB.
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

function readInChild(format: string, dir: string): { rows: number; ms: number; maxRssMb: number } {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "reader.ts"), format, dir],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!) as {
    rows: number;
    ms: number;
    maxRssMb: number;
  };
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const k = (n: number) => `${Math.round(n / 1000)}k/s`;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-stores-"));
  try {
    // Baseline: serialise and parse the records in memory, no I/O.
    let t = performance.now();
    let bytes = 0;
    const sample: string[] = [];
    for (let i = 0; i < N; i++) {
      const s = JSON.stringify(record(i));
      bytes += s.length;
      if (i < 100_000) sample.push(s);
    }
    const baseWrite = rate(N, performance.now() - t);
    t = performance.now();
    for (let i = 0; i < N; i++) JSON.parse(sample[i % sample.length]!);
    const baseRead = rate(N, performance.now() - t);
    const base = readInChild("none", dir);
    console.log(
      `records: ${N.toLocaleString()}; baseline in-memory JSON: stringify ${k(baseWrite)}, parse ${k(baseRead)}; idle child RSS ${base.maxRssMb.toFixed(0)} MB`,
    );

    const results: Record<string, { write: number; read: number; size: number; rss: number }> = {};
    for (const format of ["jsonl", "parquet", "csv"]) {
      const store = new DefaultDatastore({
        type: "default",
        store_name: "bench",
        output_dir: dir,
        output_data_format: format,
      });
      t = performance.now();
      for (let start = 0; start < N; start += BATCH) {
        const rows = [];
        for (let i = start; i < Math.min(N, start + BATCH); i++) rows.push(record(i));
        await store.append(rows);
      }
      // The store keeps its output file open between appends; closing it is part of writing.
      await store.close();
      const write = rate(N, performance.now() - t);
      const size = sizeOf(store.location);
      const r = readInChild(format, dir);
      if (r.rows !== N) throw new Error(`${format}: read ${r.rows} rows, wrote ${N}`);
      results[format] = { write, read: rate(N, r.ms), size, rss: r.maxRssMb };
    }
    const json = results.jsonl!;
    const dataMb = json.size / 1e6;
    console.log(`data size (JSONL) ${dataMb.toFixed(0)} MB\n`);
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
        `jsonl ${json.write >= 300_000 && json.read >= 300_000 ? "meets" : "MISSES"} 300k/s; max RSS ${Math.max(...Object.values(results).map((r) => r.rss)).toFixed(0)} MB (target < 300 MB)`,
    );
    void bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
