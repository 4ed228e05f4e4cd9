/**
 * Phase 2 of greedy dedup: walk the rows in order and keep each one unless it conflicts with a
 * row already added. Cheap (linear in rows + conflicts) and sequential, so the decisions do not
 * depend on how phase 1 was split across threads.
 */
import type { ConflictResult } from "./conflicts.js";

/**
 * The verdict for one row of a dedup pass.
 *
 * @example
 * const { valid, added } = greedy(n, probe, parts, true)[k];
 */
export interface GreedyVerdict {
  valid: boolean;
  /** Whether later rows are compared with this one (valid rows; all rows when not filtering). */
  added: boolean;
  /** Highest score against an added earlier row, when it reached the threshold. */
  score?: number | undefined;
  /** The row (position in the pass) that gave `score`. */
  match?: number | undefined;
}

/**
 * Decide every row from the conflicts found in phase 1.
 *
 * @example
 * const verdicts = greedy(rows.length, probe, [findConflicts(job)], true);
 */
export function greedy(
  n: number,
  probe: Uint8Array,
  parts: readonly ConflictResult[],
  filtering: boolean,
): GreedyVerdict[] {
  // Bucket conflicts by row (counting sort), each bucket sorted by the earlier row.
  const count = new Int32Array(n + 1);
  for (const p of parts) for (let k = 0; k < p.i.length; k++) count[p.i[k]! + 1]!++;
  for (let r = 0; r < n; r++) count[r + 1]! += count[r]!;
  const start = count.slice();
  const js = new Int32Array(count[n]!);
  const scores = new Float64Array(count[n]!);
  for (const p of parts) {
    for (let k = 0; k < p.i.length; k++) {
      const at = start[p.i[k]!]!++;
      js[at] = p.j[k]!;
      scores[at] = p.score[k]!;
    }
  }
  const added = new Uint8Array(n);
  const verdicts: GreedyVerdict[] = new Array(n);
  for (let r = 0; r < n; r++) {
    if (!probe[r]) {
      added[r] = 1;
      verdicts[r] = { valid: true, added: true };
      continue;
    }
    let best = -Infinity;
    let match = -1;
    for (let k = count[r]!; k < count[r + 1]!; k++) {
      const q = js[k]!;
      if (!added[q]) continue;
      const s = scores[k]!;
      if (s > best || (s === best && q < match)) {
        best = s;
        match = q;
      }
    }
    const valid = match < 0;
    added[r] = valid || !filtering ? 1 : 0;
    verdicts[r] = valid
      ? { valid, added: true }
      : { valid, added: added[r] === 1, score: best, match };
  }
  return verdicts;
}
