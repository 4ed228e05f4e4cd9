/**
 * The JSONL case of the scale benchmark: append 1,000,000 records through the `default`
 * datastore (10,000 per append, the engine's path) and stream them back, each against the
 * in-memory JSON.stringify / JSON.parse of the same records measured just before, all per
 * CPU-second. The records hold non-ASCII text, so every line takes the reader's UTF-8 path.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultDatastore } from "../../src/stores/default/index.js";
import type { Row } from "../../src/util/mapping.js";
import { record } from "../stores/records.js";

const BATCH = 10_000;

/** CPU time of this process so far, in seconds (user + system, all threads). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Records per CPU-second (user + system: what a loaded machine does not skew): JSONL write and
 * read, and the in-memory baseline of each. Reads are measured two ways: row by row through
 * `Datastore.read()`, and a batch at a time through the store's sources (the engine's path: its
 * dataloader takes the reader's batches). Each parse and read figure is the better of two passes,
 * so neither side is measured cold.
 */
export async function jsonlRates(n: number): Promise<{
  write: number;
  read: number;
  readBatches: number;
  stringify: number;
  parse: number;
}> {
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-scale-jsonl-"));
  const perCpuSecond = async (work: () => unknown) => {
    const c = cpuSeconds();
    await work();
    return n / (cpuSeconds() - c);
  };
  const bestOfTwo = async (work: () => unknown) =>
    Math.max(await perCpuSecond(work), await perCpuSecond(work));
  try {
    const batches: Row[][] = [];
    for (let i = 0; i < n; i += BATCH)
      batches.push(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => record(i + k)));
    const lines: string[] = [];
    const stringify = await perCpuSecond(() => {
      for (const b of batches) for (const r of b) lines.push(JSON.stringify(r));
    });
    const parse = await bestOfTwo(() => {
      for (const l of lines) JSON.parse(l);
    });
    lines.length = 0;
    const store = new DefaultDatastore({ type: "default", store_name: "bench", output_dir: dir });
    const write = await perCpuSecond(async () => {
      for (const b of batches) await store.append(b);
      await store.close();
    });
    batches.length = 0;
    const read = await bestOfTwo(async () => {
      let count = 0;
      for await (const _ of store.read()) count++;
      if (count !== n) throw new Error(`read ${count} records, wrote ${n}`);
    });
    const readBatches = await bestOfTwo(async () => {
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
