/**
 * Phase 1 of greedy dedup: for every row that must be judged, find every *earlier* row whose
 * score reaches the threshold ("conflicts"). Which earlier rows end up kept is decided afterwards
 * in one cheap sequential pass (`greedy.ts`), so this phase can be split across worker threads
 * without changing any decision.
 *
 * Pairs are pruned with filters that are exact (they never drop a pair that could reach the
 * threshold):
 * - prefix filtering: each text is a set of (token, occurrence) elements ordered rarest first; two
 *   texts whose overlap must be at least `o` share an element within their first `|x| − o + 1`
 *   elements, so only rows sharing a rare "prefix" token are looked at (inverted index);
 * - length bound: LCS ≤ min(|t|, |p|);
 * - positional bound (PPJoin): the overlap is at most the shared prefix elements found so far
 *   plus the elements left after them in the shorter remainder;
 * - overlap bound: LCS ≤ the size of the token-multiset intersection.
 * A bound skips a pair only when it is below the overlap the threshold needs, computed with a
 * 1e-9 margin (far above float error, far below one token's worth of score).
 *
 * Everything here is plain data in, plain data out: it runs unchanged in a worker thread.
 */
import { BOUND_EPSILON, PairScorer, type RougeType, ratio, type ScoreFunc } from "./score.js";

/**
 * The rows to compare, as token ids, in processing order.
 *
 * @example
 * const job: ConflictJob = { ...packJob(rows, probe, vocab.size, 0.7, "f1", ["lcs"]), counter: new Int32Array(1), chunkSize: 64 };
 */
export interface ConflictJob {
  /** All rows' token ids, concatenated. */
  flat: Int32Array;
  /** Row r's tokens are flat[offsets[r] .. offsets[r+1]). */
  offsets: Int32Array;
  /** 1 = judge this row against the rows before it; 0 = already known to pass (kept earlier). */
  probe: Uint8Array;
  vocabSize: number;
  threshold: number;
  scoreFunc: ScoreFunc;
  rougeTypes: RougeType[];
  /**
   * Work counter shared by the threads of one job (on a SharedArrayBuffer when threads are used):
   * each thread claims the next chunk of rows with `Atomics.add`, so a thread slowed down by
   * other processes simply takes fewer chunks. Any split gives the same conflicts.
   */
  counter: Int32Array;
  chunkSize: number;
  /** Stop before claiming this chunk index (lets tests reproduce a given split between threads). */
  chunkLimit?: number | undefined;
  /**
   * How candidate pairs are enumerated (the conflicts found are the same): `ordered` probes each
   * judged row against the rows before it (best when few rows are new); `symmetric` is a
   * length-sorted self-join with shorter index prefixes (best for a first pass; f1 only).
   * Default: chosen from the share of rows to judge.
   */
  strategy?: "ordered" | "symmetric" | undefined;
  /**
   * The most conflicts one thread collects (default `MAX_CONFLICTS`). Many equal or nearly equal
   * texts conflict pairwise, quadratically many pairs; past this the thread gives up, stops the
   * other threads (through `counter`) and reports `overflow`, and the caller decides greedily row
   * by row instead (`onlineGreedy`), which needs no pair list.
   */
  maxConflicts?: number | undefined;
}

/** Default `ConflictJob.maxConflicts`: a million pairs, about 25 MB while collected. */
export const MAX_CONFLICTS = 1_000_000;

/**
 * Pair counts, for the benchmark and for logs.
 *
 * @example
 * const skipped = stats.pairs - stats.scored;
 */
export interface PairStats {
  /** (judged row, earlier row) pairs in the job. */
  pairs: number;
  /** Pairs surviving the prefix filter. */
  candidates: number;
  lengthSkipped: number;
  /** Pairs ruled out by the positional bound (what is left after the first shared elements). */
  positionSkipped: number;
  overlapSkipped: number;
  /** Pairs whose exact score was computed. */
  scored: number;
}

/**
 * Conflicting pairs (row, earlier row, score ≥ threshold), in no particular order.
 *
 * @example
 * for (let k = 0; k < r.i.length; k++) console.log(r.i[k], "resembles", r.j[k], r.score[k]);
 */
export interface ConflictResult {
  i: Int32Array;
  j: Int32Array;
  score: Float64Array;
  stats: PairStats;
  /** The thread found more than `maxConflicts` conflicts (then `i`, `j`, `score` are empty). */
  overflow?: boolean;
}

/**
 * Find the conflicts of the rows this thread claims (all of them when it is the only thread).
 *
 * @example
 * const r = findConflicts({ flat, offsets, probe, vocabSize, threshold: 0.7, scoreFunc: "f1", rougeTypes: ["lcs"], counter: new Int32Array(1), chunkSize: 64 });
 */
export function findConflicts(job: ConflictJob): ConflictResult {
  const n = job.offsets.length - 1;
  const out: Sink = { i: [], j: [], score: [], max: job.maxConflicts ?? MAX_CONFLICTS };
  const stats: PairStats = {
    pairs: 0,
    candidates: 0,
    lengthSkipped: 0,
    positionSkipped: 0,
    overlapSkipped: 0,
    scored: 0,
  };
  const probed: number[] = [];
  for (let r = 0; r < n; r++) if (job.probe[r]) probed.push(r);
  const rank = probed.length;
  const mine = claimed(job, probed);
  const onlyLcs = job.rougeTypes.length > 0 && job.rougeTypes.every((t) => t === "lcs");
  const strategy = job.strategy ?? (rank * 2 > n ? "symmetric" : "ordered");
  try {
    if (job.threshold > 0 && onlyLcs && strategy === "symmetric" && job.scoreFunc === "f1") {
      // Needed pairs (judged row, earlier row) are counted by whoever claims the first chunk.
      symmetric(job, out, stats, () => probed.reduce((sum, r) => sum + r, 0));
    } else if (job.threshold > 0 && onlyLcs) filtered(job, mine, out, stats);
    else exhaustive(job, mine, out, stats);
  } catch (e) {
    if (e !== OVERFLOW) throw e;
    Atomics.store(job.counter, 0, STOPPED); // no thread claims another chunk
    const none = { i: new Int32Array(0), j: new Int32Array(0), score: new Float64Array(0) };
    return { ...none, stats, overflow: true };
  }
  return {
    i: Int32Array.from(out.i),
    j: Int32Array.from(out.j),
    score: Float64Array.from(out.score),
    stats,
  };
}

type Sink = { i: number[]; j: number[]; score: number[]; max: number };

/** Thrown by `push` past `Sink.max`. */
const OVERFLOW: unique symbol = Symbol("too many conflicts");
/** A chunk counter past any job's end. */
const STOPPED = 1 << 30;

/** The items of `list` in the chunks this thread claims, in order. */
function* claimed<T>(job: ConflictJob, list: readonly T[]): Generator<T> {
  for (;;) {
    if (job.chunkLimit !== undefined && Atomics.load(job.counter, 0) >= job.chunkLimit) return;
    const start = Atomics.add(job.counter, 0, 1) * job.chunkSize;
    if (start >= list.length) return;
    const end = Math.min(list.length, start + job.chunkSize);
    for (let k = start; k < end; k++) yield list[k]!;
  }
}

/**
 * Row r's token ids.
 *
 * @example
 * scorer.setTarget(tokensOf(job, 0));
 */
export const tokensOf = (job: ConflictJob, r: number): Int32Array =>
  job.flat.subarray(job.offsets[r]!, job.offsets[r + 1]!);

/** Every earlier row is scored: thresholds ≤ 0 (any pair conflicts) and n-gram rouge types. */
function exhaustive(job: ConflictJob, mine: Iterable<number>, out: Sink, stats: PairStats): void {
  const scorer = new PairScorer(job.rougeTypes, job.scoreFunc, job.vocabSize);
  for (const r of mine) {
    stats.pairs += r;
    scorer.setTarget(tokensOf(job, r));
    for (let q = 0; q < r; q++) {
      const s = scorer.score(tokensOf(job, q));
      stats.candidates++;
      stats.scored++;
      if (s >= job.threshold) push(out, r, q, s);
    }
  }
}

function push(out: Sink, i: number, j: number, s: number): void {
  if (out.i.length >= out.max) throw OVERFLOW;
  out.i.push(i);
  out.j.push(j);
  out.score.push(s);
}

/**
 * Least overlap a pair must have for the row in `role` of length `len` to reach the threshold.
 *
 * @example
 * minOverlap(10, 0.7, "f1", "target") // 6
 */
export function minOverlap(
  len: number,
  thr: number,
  func: ScoreFunc,
  role: "target" | "prediction",
): number {
  let o: number;
  if (func === "f1") o = (thr * len) / (2 - thr);
  else if (func === "precision") o = role === "prediction" ? thr * len : 1;
  else o = role === "target" ? thr * len : 1;
  return Math.max(1, Math.ceil(o - BOUND_EPSILON));
}

/**
 * Least overlap for a (target of `a`, prediction of `b`) pair to reach the threshold.
 *
 * @example
 * needed(10, 10, 0.7, "f1") // 7
 */
export function needed(a: number, b: number, thr: number, func: ScoreFunc): number {
  const x = func === "f1" ? (thr * (a + b)) / 2 : func === "precision" ? thr * b : thr * a;
  return Math.max(1, Math.ceil(x - BOUND_EPSILON));
}

function filtered(job: ConflictJob, mine: Iterable<number>, out: Sink, stats: PairStats): void {
  const n = job.offsets.length - 1;
  const thr = job.threshold;
  const func = job.scoreFunc;
  const limit = thr - BOUND_EPSILON;
  const keys = elementKeys(job);
  const len = new Int32Array(n);
  let maxLen = 0;
  for (let q = 0; q < n; q++)
    maxLen = Math.max(maxLen, (len[q] = job.offsets[q + 1]! - job.offsets[q]!));

  // Inverted index over each row's prefix when it plays the earlier row (prediction):
  // element key -> [row, position in that row's sorted elements, row, position, ...].
  const postings = new Map<number, number[]>();
  for (let q = 0; q < n; q++) {
    const from = job.offsets[q]!;
    const prefix = len[q]! - minOverlap(len[q]!, thr, func, "prediction") + 1;
    for (let e = 0; e < prefix; e++) {
      const key = keys[from + e]!;
      let list = postings.get(key);
      if (!list) postings.set(key, (list = []));
      list.push(q, e);
    }
  }

  const scorer = new PairScorer(job.rougeTypes, func, job.vocabSize);
  const stamp = new Int32Array(n).fill(-1);
  // Overlap counted so far in the prefixes; -1 once a bound rules the pair out.
  const count = new Int32Array(n);
  const candidates: number[] = [];
  // Per target length: which prediction lengths can reach the threshold, and the overlap needed.
  const tables = new Map<number, { lengthOk: Uint8Array; need: Int32Array }>();
  const tableFor = (a: number) => {
    let t = tables.get(a);
    if (!t) {
      t = { lengthOk: new Uint8Array(maxLen + 1), need: new Int32Array(maxLen + 1) };
      for (let b = 1; b <= maxLen; b++) {
        t.lengthOk[b] = ratio(Math.min(a, b), a, b, func) >= limit ? 1 : 0;
        t.need[b] = needed(a, b, thr, func);
      }
      tables.set(a, t);
    }
    return t;
  };
  for (const r of mine) {
    stats.pairs += r;
    const from = job.offsets[r]!;
    const a = len[r]!;
    if (a === 0) continue;
    const { lengthOk, need } = tableFor(a);
    const prefix = a - minOverlap(a, thr, func, "target") + 1;
    candidates.length = 0;
    for (let e = 0; e < prefix; e++) {
      const list = postings.get(keys[from + e]!);
      if (!list) continue;
      for (let k = 0; k < list.length; k += 2) {
        const q = list[k]!;
        if (q >= r) break; // lists are in row order: only earlier rows
        const b = len[q]!;
        if (stamp[q] !== r) {
          stamp[q] = r;
          candidates.push(q);
          if (!lengthOk[b]) {
            count[q] = -1;
            stats.lengthSkipped++;
            continue;
          }
          count[q] = 0;
        }
        if (count[q]! < 0) continue;
        // Every shared element ranked before this one was already counted (it sits in both
        // prefixes), so the overlap is at most what was counted plus what is left in either row.
        const c = ++count[q]!;
        if (c + Math.min(a - e - 1, b - list[k + 1]! - 1) < need[b]!) {
          count[q] = -1;
          stats.positionSkipped++;
        }
      }
    }
    stats.candidates += candidates.length;
    let patternSet = false;
    for (const q of candidates) {
      if (count[q]! < 0) continue;
      const qFrom = job.offsets[q]!;
      const b = len[q]!;
      const overlap = intersectSize(keys, from, from + a, qFrom, qFrom + b);
      if (overlap < need[b]!) {
        stats.overlapSkipped++;
        continue;
      }
      if (!patternSet) {
        scorer.setTarget(tokensOf(job, r));
        patternSet = true;
      }
      stats.scored++;
      const s = scorer.score(tokensOf(job, q));
      if (s >= thr) push(out, r, q, s);
    }
  }
}

/**
 * All-pairs self-join for f1 (a symmetric score up to float rounding, which is why each pair is
 * scored in its proper orientation): rows are visited by increasing length and each probes an
 * index of the shorter rows visited before it. Knowing the indexed row is not longer allows a
 * shorter index prefix (overlap ≥ thr·|shorter|), and posting lists, being in length order, are
 * trimmed from the front as the length filter rises. Each unordered pair is met once; a pair is
 * kept when its later row (in the job's order) is one to judge.
 */
function symmetric(job: ConflictJob, out: Sink, stats: PairStats, pairCount: () => number): void {
  const n = job.offsets.length - 1;
  const thr = job.threshold;
  const func = job.scoreFunc;
  const limit = thr - BOUND_EPSILON;
  const keys = elementKeys(job);
  const len = new Int32Array(n);
  let maxLen = 0;
  for (let q = 0; q < n; q++)
    maxLen = Math.max(maxLen, (len[q] = job.offsets[q + 1]! - job.offsets[q]!));
  const rows: number[] = [];
  for (let q = 0; q < n; q++) if (len[q]! > 0) rows.push(q);
  rows.sort((x, y) => len[x]! - len[y]! || x - y);

  const postings = new Map<number, { items: number[]; start: number }>();
  const scorer = new PairScorer(job.rougeTypes, func, job.vocabSize);
  const stamp = new Int32Array(n).fill(-1);
  const count = new Int32Array(n);
  const candidates: number[] = [];
  const needFor = new Map<number, { minB: number; need: Int32Array }>();
  // Chunks are claimed in increasing order, so the index can be extended up to each chunk's start.
  let indexed = 0;
  const index = (x: number) => {
    const from = job.offsets[x]!;
    const a = len[x]!;
    const indexPrefix = a - Math.max(1, Math.ceil(thr * a - BOUND_EPSILON)) + 1;
    for (let e = 0; e < indexPrefix; e++) {
      const key = keys[from + e]!;
      let list = postings.get(key);
      if (!list) postings.set(key, (list = { items: [], start: 0 }));
      list.items.push(x, e);
    }
  };
  for (;;) {
    if (job.chunkLimit !== undefined && Atomics.load(job.counter, 0) >= job.chunkLimit) return;
    const chunk = Atomics.add(job.counter, 0, 1);
    const start = chunk * job.chunkSize;
    if (chunk === 0) stats.pairs += pairCount();
    if (start >= rows.length) return;
    const end = Math.min(rows.length, start + job.chunkSize);
    while (indexed < start) index(rows[indexed++]!);
    for (let p = start; p < end; p++) {
      probeRow(rows[p]!);
      // Index it for the longer rows to come: they need overlap ≥ thr·|x| with it.
      index(rows[p]!);
      indexed = p + 1;
    }
  }

  function probeRow(x: number): void {
    const from = job.offsets[x]!;
    const a = len[x]!;
    let t = needFor.get(a);
    if (!t) {
      t = { minB: a + 1, need: new Int32Array(a + 1) };
      for (let b = a; b >= 1; b--) {
        if (ratio(Math.min(a, b), a, b, func) < limit) break; // f1's length bound grows with b ≤ a
        t.minB = b;
        t.need[b] = needed(a, b, thr, func);
      }
      needFor.set(a, t);
    }
    const { minB, need } = t;
    const prefix = a - minOverlap(a, thr, func, "target") + 1;
    candidates.length = 0;
    for (let e = 0; e < prefix; e++) {
      const list = postings.get(keys[from + e]!);
      if (!list) continue;
      const items = list.items;
      while (list.start < items.length && len[items[list.start]!]! < minB) list.start += 2;
      for (let k = list.start; k < items.length; k += 2) {
        const y = items[k]!;
        const b = len[y]!;
        if (stamp[y] !== x) {
          stamp[y] = x;
          // Only pairs whose later row is to be judged matter.
          if (!job.probe[Math.max(x, y)]) {
            count[y] = -1;
            continue;
          }
          candidates.push(y);
          count[y] = 0;
        }
        if (count[y]! < 0) continue;
        const c = ++count[y]!;
        if (c + Math.min(a - e - 1, b - items[k + 1]! - 1) < need[b]!) {
          count[y] = -1;
          stats.positionSkipped++;
        }
      }
    }
    stats.candidates += candidates.length;
    let patternSet = false;
    for (const y of candidates) {
      if (count[y]! < 0) continue;
      const yFrom = job.offsets[y]!;
      const b = len[y]!;
      if (intersectSize(keys, from, from + a, yFrom, yFrom + b) < need[b]!) {
        stats.overlapSkipped++;
        continue;
      }
      if (!patternSet) {
        scorer.setTarget(tokensOf(job, x));
        patternSet = true;
      }
      stats.scored++;
      const lcs = scorer.lcsWith(tokensOf(job, y));
      const [later, earlier] = x > y ? [x, y] : [y, x];
      const s = (0 + ratio(lcs, len[later]!, len[earlier]!, func)) / 1; // DiGiT's mean over one type
      if (s >= thr) push(out, later, earlier, s);
    }
  }
}

/**
 * Each row's multiset of tokens as a sorted set of numeric element keys: the k-th occurrence of
 * token t is `rank(t) · K + k`, with tokens ranked rarest first (document frequency, then id).
 * Keys are stored in `flat` layout (same offsets as the tokens).
 *
 * @example
 * const keys = elementKeys(job); // keys[offsets[r] .. offsets[r + 1]) sorted, rarest first
 */
export function elementKeys(job: ConflictJob): Float64Array {
  const n = job.offsets.length - 1;
  const vocab = Math.max(job.vocabSize, 1);
  const df = new Int32Array(vocab);
  const seen = new Int32Array(vocab).fill(-1);
  const count = new Int32Array(vocab);
  let maxCount = 1;
  for (let r = 0; r < n; r++) {
    for (let p = job.offsets[r]!; p < job.offsets[r + 1]!; p++) {
      const t = job.flat[p]!;
      if (seen[t] !== r) {
        seen[t] = r;
        df[t]!++;
      }
    }
  }
  const present: number[] = [];
  for (let t = 0; t < vocab; t++) if (df[t]! > 0) present.push(t);
  present.sort((x, y) => df[x]! - df[y]! || x - y);
  const rankOf = new Int32Array(vocab);
  present.forEach((t, i) => {
    rankOf[t] = i;
  });

  const keys = new Float64Array(job.flat.length);
  for (let r = 0; r < n; r++) {
    const from = job.offsets[r]!;
    const to = job.offsets[r + 1]!;
    for (let p = from; p < to; p++) maxCount = Math.max(maxCount, ++count[job.flat[p]!]!);
    for (let p = from; p < to; p++) count[job.flat[p]!] = 0;
  }
  const K = maxCount;
  for (let r = 0; r < n; r++) {
    const from = job.offsets[r]!;
    const to = job.offsets[r + 1]!;
    for (let p = from; p < to; p++) {
      const t = job.flat[p]!;
      keys[p] = rankOf[t]! * K + count[t]!++;
    }
    for (let p = from; p < to; p++) count[job.flat[p]!] = 0;
    keys.subarray(from, to).sort();
  }
  return keys;
}

/**
 * Size of the intersection of two sorted runs of distinct keys.
 *
 * @example
 * intersectSize(Float64Array.of(1, 2, 5, 2, 5), 0, 3, 3, 5) // 2
 */
export function intersectSize(
  keys: Float64Array,
  a: number,
  aEnd: number,
  b: number,
  bEnd: number,
): number {
  let c = 0;
  while (a < aEnd && b < bEnd) {
    const x = keys[a]!;
    const y = keys[b]!;
    if (x === y) {
      c++;
      a++;
      b++;
    } else if (x < y) a++;
    else b++;
  }
  return c;
}
