/**
 * The JSONL case of the scale benchmark: append 1,000,000 records through the `default`
 * datastore (10,000 per append, the engine's path) and stream them back, each against the
 * in-memory JSON.stringify / JSON.parse of the same records measured just before, per CPU-second
 * and per wall-clock second. The records hold non-ASCII text, so every line takes the reader's
 * UTF-8 path.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultDatastore } from "../../src/stores/default/index.js";
import type { Row } from "../../src/util/mapping.js";
import { record } from "../stores/records.js";

const BATCH = 10_000;

/** Records per second of one operation: per CPU-second (user + system, all threads) and wall. */
export interface Rate {
  cpu: number;
  wall: number;
}

/** What `jsonlRates` measures, each a `Rate`. */
export interface JsonlRates {
  write: Rate;
  /** Row by row through `Datastore.read()`. */
  read: Rate;
  /** A batch at a time through the store's sources (the engine's dataloader path). */
  readBatches: Rate;
  stringify: Rate;
  parse: Rate;
}

/** Run `work` over `n` records and return its rates. */
async function rateOf(n: number, work: () => unknown): Promise<Rate> {
  const c = process.cpuUsage();
  const t = performance.now();
  await work();
  const wall = (performance.now() - t) / 1000;
  const used = process.cpuUsage(c);
  return { cpu: n / ((used.user + used.system) / 1e6), wall: n / wall };
}

/** The better of two passes, each way (so neither side of a ratio is measured cold). */
async function bestOfTwo(n: number, work: () => unknown): Promise<Rate> {
  const a = await rateOf(n, work);
  const b = await rateOf(n, work);
  return { cpu: Math.max(a.cpu, b.cpu), wall: Math.max(a.wall, b.wall) };
}

/**
 * JSONL write and read of `n` records through the default datastore, and the in-memory baseline
 * of each. Reads are measured two ways: row by row through `Datastore.read()`, and a batch at a
 * time through the store's sources (the engine's path: its dataloader takes the reader's
 * batches). Every figure is the better of two passes.
 */
export async function jsonlRates(n: number): Promise<JsonlRates> {
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-scale-jsonl-"));
  try {
    const batches: Row[][] = [];
    for (let i = 0; i < n; i += BATCH)
      batches.push(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => record(i + k)));
    const stringify = await bestOfTwo(n, () => {
      for (const b of batches) for (const r of b) JSON.stringify(r);
    });
    const lines: string[] = [];
    for (const b of batches) for (const r of b) lines.push(JSON.stringify(r));
    const parse = await bestOfTwo(n, () => {
      for (const l of lines) JSON.parse(l);
    });
    lines.length = 0;
    // Each pass writes a store of its own; the reads take the last one.
    let store = new DefaultDatastore({ type: "default", store_name: "bench", output_dir: dir });
    const write = await bestOfTwo(n, async () => {
      await store.clear();
      store = new DefaultDatastore({ type: "default", store_name: "bench", output_dir: dir });
      for (const b of batches) await store.append(b);
      await store.close();
    });
    batches.length = 0;
    const read = await bestOfTwo(n, async () => {
      let count = 0;
      for await (const _ of store.read()) count++;
      if (count !== n) throw new Error(`read ${count} records, wrote ${n}`);
    });
    const readBatches = await bestOfTwo(n, async () => {
      let count = 0;
      for (const source of await store.sources())
        for await (const batch of source.batches?.() ?? []) count += batch.length;
      if (count !== n) throw new Error(`read ${count} records in batches, wrote ${n}`);
    });
    return { write, read, readBatches, stringify, parse };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
