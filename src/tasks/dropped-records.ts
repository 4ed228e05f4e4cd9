import { existsSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { Datastore } from "../stores/datastore.js";
import { jsonlBytes, jsonlRecordsEnd } from "../stores/formats/jsonl.js";
import type { Row } from "../util/mapping.js";

/** What `cutAfter` set aside. */
export interface DroppedRecords {
  /** The backup file, beside the store's output. */
  file: string;
  /** Complete records moved (a torn last line is moved too, but not counted). */
  records: number;
}

/**
 * A backup name beside `path` that no file has yet: `<path>.dropped-<UTC time>` (with a counter if
 * two drops fall in the same millisecond).
 *
 * @example
 * droppedName("out/qa/data.jsonl") // "out/qa/data.jsonl.dropped-20261204T203500123Z"
 */
export function droppedName(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  let name = `${path}.dropped-${stamp}`;
  for (let i = 1; existsSync(name); i++) name = `${path}.dropped-${stamp}-${i}`;
  return name;
}

/**
 * Keep the first `keep` records of a store's output and move everything after them (records of a
 * batch that was never committed, a torn last line) to a backup file beside it, flushed to disk
 * before the store is cut. A JSONL output's tail is moved byte for byte; other formats' records
 * are written to `<output>.dropped-<time>.jsonl`. Returns what was moved, or undefined when the
 * store held nothing past `keep`.
 *
 * @example
 * const dropped = await cutAfter(task.data, checkpoint.data_rows);
 * if (dropped) logger.warn(`moved ${dropped.records} records to ${dropped.file}`);
 */
export async function cutAfter(
  store: Datastore,
  keep: number,
): Promise<DroppedRecords | undefined> {
  if (!(await store.exists())) return undefined;
  const path = store.location;
  let dropped: DroppedRecords | undefined;
  const st = await stat(path).catch(() => undefined);
  if (path.endsWith(".jsonl") && st?.isFile()) {
    const from = await jsonlRecordsEnd(path, keep);
    if (from < st.size) {
      const tail = Buffer.alloc(st.size - from);
      const h = await open(path, "r");
      try {
        await h.read(tail, 0, tail.length, from);
      } finally {
        await h.close();
      }
      const lines = tail.toString("utf8").split("\n");
      dropped = {
        file: droppedName(path),
        records: lines.slice(0, -1).filter((l) => l.trim() !== "").length,
      };
      await writeDurably(dropped.file, tail);
    }
  } else {
    const rest: Row[] = [];
    let i = 0;
    for await (const row of store.read()) if (i++ >= keep) rest.push(row);
    if (rest.length) {
      dropped = { file: `${droppedName(path)}.jsonl`, records: rest.length };
      await writeDurably(dropped.file, jsonlBytes(rest));
    }
  }
  await store.truncate(keep);
  return dropped;
}

async function writeDurably(file: string, bytes: Uint8Array): Promise<void> {
  const h = await open(file, "wx");
  try {
    await h.write(bytes);
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Whether a store's own output holds anything: a record, or the start of one.
 *
 * @example
 * if (await storeHasOutput(task.data)) console.log("not empty");
 */
export async function storeHasOutput(store: Datastore): Promise<boolean> {
  if (!(await store.exists())) return false;
  const st = await stat(store.location).catch(() => undefined);
  if (st?.isFile()) return st.size > 0;
  for await (const _ of store.read()) return true;
  return false;
}
