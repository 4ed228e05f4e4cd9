/**
 * The JSONL case of the scale benchmark: append 1,000,000 records through the `default`
 * datastore (10,000 per append, the engine's path) and stream them back, each against the
 * in-memory JSON.stringify / JSON.parse of the same records measured just before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DefaultDatastore } from "../../src/stores/default/index.js";
import type { Row } from "../../src/util/mapping.js";
import { record } from "../stores/records.js";

const BATCH = 10_000;

/** Records per second: JSONL write and read, and the in-memory baseline of each. */
export async function jsonlRates(
  n: number,
): Promise<{ write: number; read: number; stringify: number; parse: number }> {
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-scale-jsonl-"));
  try {
    const batches: Row[][] = [];
    for (let i = 0; i < n; i += BATCH)
      batches.push(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => record(i + k)));
    let t = performance.now();
    const lines: string[] = [];
    for (const b of batches) for (const r of b) lines.push(JSON.stringify(r));
    const stringify = n / ((performance.now() - t) / 1000);
    t = performance.now();
    for (const l of lines) JSON.parse(l);
    const parse = n / ((performance.now() - t) / 1000);
    lines.length = 0;
    const store = new DefaultDatastore({ type: "default", store_name: "bench", output_dir: dir });
    t = performance.now();
    for (const b of batches) await store.append(b);
    await store.close();
    const write = n / ((performance.now() - t) / 1000);
    batches.length = 0;
    t = performance.now();
    let count = 0;
    for await (const _ of store.read()) count++;
    const read = n / ((performance.now() - t) / 1000);
    if (count !== n) throw new Error(`read ${count} records, wrote ${n}`);
    return { write, read, stringify, parse };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
