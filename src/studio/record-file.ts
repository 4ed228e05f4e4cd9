import { stat } from "node:fs/promises";
import { extensionOf, readDataFile } from "../stores/formats/index.js";
import type { RecordPage } from "./api-types.js";
import { JsonlIndex } from "./jsonl-index.js";

export type { RecordPage };

/**
 * What page of a record file to show: `offset`/`limit` count rows of the view; `q` keeps rows
 * whose JSON text contains it (any case); `sort` orders by a top-level field.
 */
export interface PageQuery {
  offset: number;
  limit: number;
  q?: string | undefined;
  sort?: string | undefined;
  desc?: boolean | undefined;
}

type Key = number | string;

function keyOf(record: unknown, field: string): Key {
  const v =
    record !== null && typeof record === "object"
      ? (record as Record<string, unknown>)[field]
      : undefined;
  if (typeof v === "number") return v;
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function compareKeys(a: Key, b: Key): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { _unparsed_line: text };
  }
}

/** The columns of a page: the keys of its records, in first-seen order. */
function columnsOf(records: readonly unknown[]): string[] {
  const seen = new Set<string>();
  for (const r of records)
    if (r !== null && typeof r === "object" && !Array.isArray(r))
      for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

const VIEW_CACHE = 8;

/**
 * A record file of an output folder (JSONL, CSV, Parquet) read one page at a time. JSONL pages
 * are byte-range reads through a line index; CSV and Parquet stream through digit's own readers
 * from the page's first row and stop after its last. Searching and sorting scan the file once
 * per (file version, query), keeping only the matching row numbers and sort keys, never the
 * records.
 *
 * @example
 * const f = new RecordFile("out/qa/final_data.jsonl");
 * const page = await f.page({ offset: 0, limit: 50, q: "paris", sort: "id" });
 */
export class RecordFile {
  private readonly jsonl: JsonlIndex | undefined;
  private stamp = "";
  private counted = -1;
  private readonly views = new Map<string, Uint32Array>();
  private refreshing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {
    this.jsonl = extensionOf(file) === ".jsonl" ? new JsonlIndex(file) : undefined;
  }

  /**
   * Look at the file's version (inode, size, mtime); views and counts of an older version are
   * dropped. Calls are serialised, so concurrent requests never see a half-built index.
   */
  private refresh(): Promise<void> {
    const next = this.refreshing.then(() => this.refreshNow());
    this.refreshing = next.catch(() => {});
    return next;
  }

  private async refreshNow(): Promise<void> {
    const st = await stat(this.file);
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    this.views.clear();
    this.counted = -1;
    if (this.jsonl) await this.jsonl.refresh();
  }

  /** Number of records in the file. */
  async count(): Promise<number> {
    await this.refresh();
    if (this.jsonl) return this.jsonl.count;
    if (this.counted < 0) {
      let n = 0;
      for await (const _ of this.stream(0)) n += 1;
      this.counted = n;
    }
    return this.counted;
  }

  private stream(skip: number): AsyncIterableIterator<unknown> {
    return readDataFile(this.file, { skip, ownOutput: true, onBadRecord: "skip", warn: () => {} });
  }

  /** Every record with its row number, in file order. */
  private async *scan(): AsyncGenerator<[unknown, number]> {
    if (this.jsonl) {
      const n = this.jsonl.count;
      for (let from = 0; from < n; from += 5000) {
        const lines = await this.jsonl.readLines(from, Math.min(n, from + 5000));
        for (let i = 0; i < lines.length; i++) yield [parseLine(lines[i] ?? ""), from + i];
      }
      return;
    }
    let i = 0;
    for await (const r of this.stream(0)) yield [r, i++];
  }

  /** The records at the given row numbers (ascending), read without holding the rest. */
  private async recordsAt(indices: readonly number[]): Promise<Map<number, unknown>> {
    const out = new Map<number, unknown>();
    if (indices.length === 0) return out;
    const first = indices[0] ?? 0;
    const last = indices[indices.length - 1] ?? 0;
    if (this.jsonl) {
      if (last - first < indices.length * 4) {
        const lines = await this.jsonl.readLines(first, last + 1);
        for (const i of indices) out.set(i, parseLine(lines[i - first] ?? ""));
      } else {
        for (const i of indices) out.set(i, parseLine((await this.jsonl.line(i)) ?? ""));
      }
      return out;
    }
    const wanted = new Set(indices);
    let i = first;
    for await (const r of this.stream(first)) {
      if (wanted.has(i)) out.set(i, r);
      if (++i > last) break;
    }
    return out;
  }

  /**
   * Every record of the file, in order, one at a time.
   *
   * @example
   * for await (const r of new RecordFile("out/qa/data.jsonl").records()) console.log(r);
   */
  async *records(): AsyncGenerator<unknown> {
    await this.refresh();
    for await (const [record] of this.scan()) yield record;
  }

  /** Row numbers of the rows matching `q`, in `sort` order (file order without one). */
  private async view(q: string, sort: string, desc: boolean): Promise<Uint32Array> {
    const key = `${q}\u0000${sort}\u0000${desc}`;
    const cached = this.views.get(key);
    if (cached) return cached;
    const needle = q.toLowerCase();
    const rows: number[] = [];
    const keys: Key[] = [];
    for await (const [record, i] of this.scan()) {
      if (needle && !JSON.stringify(record).toLowerCase().includes(needle)) continue;
      rows.push(i);
      if (sort) keys.push(keyOf(record, sort));
    }
    let order = Uint32Array.from(rows);
    if (sort) {
      const pos = Uint32Array.from(rows.keys());
      pos.sort((a, b) => compareKeys(keys[a] ?? "", keys[b] ?? "") * (desc ? -1 : 1) || a - b);
      order = pos.map((p) => rows[p] ?? 0);
    }
    if (this.views.size >= VIEW_CACHE) this.views.delete(this.views.keys().next().value ?? "");
    this.views.set(key, order);
    return order;
  }

  /**
   * One page of the file, searched and sorted as asked.
   *
   * @example
   * await new RecordFile("out/qa/data.csv").page({ offset: 100, limit: 50 });
   */
  async page(query: PageQuery): Promise<RecordPage> {
    const total = await this.count();
    const q = query.q?.trim() ?? "";
    const sort = query.sort?.trim() ?? "";
    let indices: number[];
    let viewTotal = total;
    if (q || sort) {
      const view = await this.view(q, sort, query.desc === true);
      viewTotal = view.length;
      indices = [...view.subarray(query.offset, query.offset + query.limit)];
    } else {
      indices = [];
      for (let i = query.offset; i < Math.min(total, query.offset + query.limit); i++)
        indices.push(i);
    }
    const found = await this.recordsAt([...indices].sort((a, b) => a - b));
    const rows = indices.map((index) => ({ index, record: found.get(index) }));
    return {
      total: viewTotal,
      offset: query.offset,
      rows,
      columns: columnsOf(rows.map((r) => r.record)),
    };
  }
}
