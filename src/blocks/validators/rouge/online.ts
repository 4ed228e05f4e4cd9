/**
 * Greedy dedup decided row by row, in one thread, without a list of conflicting pairs: each row
 * is compared only with the rows already added (kept), and only its best match is remembered.
 * Memory stays linear in the rows however many pairs conflict (25,000 equal texts are 312 million
 * pairs, which `findConflicts` would have to list), and the verdicts are exactly `greedy`'s:
 * a row's verdict only ever depends on the added rows before it.
 */
import {
  type ConflictJob,
  elementKeys,
  intersectSize,
  minOverlap,
  needed,
  type PairStats,
  tokensOf,
} from "./conflicts.js";
import type { GreedyVerdict } from "./greedy.js";
import { BOUND_EPSILON, PairScorer, ratio } from "./score.js";

/**
 * The greedy verdicts of every row of `job` (see `greedy`), comparing each row to be judged with
 * the added rows before it. `stats` is added to.
 *
 * @example
 * const verdicts = onlineGreedy(job, true, stats); // same as greedy(n, probe, [findConflicts(job)], true)
 */
export function onlineGreedy(
  job: Omit<ConflictJob, "counter" | "chunkSize">,
  filtering: boolean,
  stats: PairStats,
): GreedyVerdict[] {
  const n = job.offsets.length - 1;
  const thr = job.threshold;
  const func = job.scoreFunc;
  const onlyLcs = job.rougeTypes.length > 0 && job.rougeTypes.every((t) => t === "lcs");
  const full = { ...job, counter: new Int32Array(1), chunkSize: 1 };
  const scorer = new PairScorer(job.rougeTypes, func, job.vocabSize);
  const verdicts: GreedyVerdict[] = new Array(n);
  const indexed = thr > 0 && onlyLcs;
  const keys = indexed ? elementKeys(full) : new Float64Array(0);
  const len = new Int32Array(n);
  for (let q = 0; q < n; q++) len[q] = job.offsets[q + 1]! - job.offsets[q]!;
  /** Added rows: an inverted index over their prefixes (indexed), or simply their list. */
  const postings = new Map<number, number[]>();
  const addedRows: number[] = [];
  const add = (q: number) => {
    if (!indexed) {
      addedRows.push(q);
      return;
    }
    const from = job.offsets[q]!;
    const prefix = len[q]! - minOverlap(len[q]!, thr, func, "prediction") + 1;
    for (let e = 0; e < prefix; e++) {
      let list = postings.get(keys[from + e]!);
      if (!list) postings.set(keys[from + e]!, (list = []));
      list.push(q, e);
    }
  };
  const stamp = new Int32Array(n).fill(-1);
  const count = new Int32Array(n);
  const candidates: number[] = [];
  const limit = thr - BOUND_EPSILON;

  for (let r = 0; r < n; r++) {
    if (!job.probe[r]) {
      verdicts[r] = { valid: true, added: true };
      add(r);
      continue;
    }
    stats.pairs += r;
    let best = -Infinity;
    let match = -1;
    const consider = (q: number) => {
      stats.scored++;
      const s = scorer.score(tokensOf(full, q));
      if (s >= thr && (s > best || (s === best && q < match))) {
        best = s;
        match = q;
      }
    };
    scorer.setTarget(tokensOf(full, r));
    if (!indexed) {
      stats.candidates += addedRows.length;
      for (const q of addedRows) consider(q);
    } else if (len[r]! > 0) {
      const from = job.offsets[r]!;
      const a = len[r]!;
      const prefix = a - minOverlap(a, thr, func, "target") + 1;
      candidates.length = 0;
      for (let e = 0; e < prefix; e++) {
        const list = postings.get(keys[from + e]!);
        if (!list) continue;
        for (let k = 0; k < list.length; k += 2) {
          const q = list[k]!;
          const b = len[q]!;
          if (stamp[q] !== r) {
            stamp[q] = r;
            candidates.push(q);
            if (ratio(Math.min(a, b), a, b, func) < limit) {
              count[q] = -1;
              stats.lengthSkipped++;
              continue;
            }
            count[q] = 0;
          }
          if (count[q]! < 0) continue;
          const c = ++count[q]!;
          if (c + Math.min(a - e - 1, b - list[k + 1]! - 1) < needed(a, b, thr, func)) {
            count[q] = -1;
            stats.positionSkipped++;
          }
        }
      }
      stats.candidates += candidates.length;
      for (const q of candidates) {
        if (count[q]! < 0) continue;
        const qFrom = job.offsets[q]!;
        if (
          intersectSize(keys, from, from + a, qFrom, qFrom + len[q]!) <
          needed(a, len[q]!, thr, func)
        ) {
          stats.overlapSkipped++;
          continue;
        }
        consider(q);
      }
    }
    const valid = match < 0;
    const added = valid || !filtering;
    verdicts[r] = valid ? { valid, added } : { valid, added, score: best, match };
    if (added) add(r);
  }
  return verdicts;
}
