/**
 * ROUGE scores between a target (the row being judged) and a prediction (the text it is compared
 * with), as DiGiT computes them: precision = overlap/|prediction|, recall = overlap/|target| (a
 * zero length counts as 1), f1 = 2PR/(P+R), the mean over the configured rouge types.
 *
 * The float operations are written in the same order as DiGiT's, so a score equals DiGiT's to
 * the last bit and a threshold decides the same way.
 */
import { LcsPattern } from "./lcs.js";

/**
 * Which ratio is the score.
 *
 * @example
 * const f: ScoreFunc = "f1";
 */
export type ScoreFunc = "f1" | "precision" | "recall";
/**
 * `lcs` (ROUGE-L) or the n-gram overlaps ROUGE-1/2/3.
 *
 * @example
 * const types: RougeType[] = ["lcs", "n_2"];
 */
export type RougeType = "lcs" | "n_1" | "n_2" | "n_3";

/**
 * Margin under which a bound is trusted to skip a pair: far above float error, far below any score step.
 *
 * @example
 * if (upperBound < threshold - BOUND_EPSILON) skip();
 */
export const BOUND_EPSILON = 1e-9;

/**
 * The score for an overlap of `c` tokens between a target of `t` tokens and a prediction of `p`.
 *
 * @example
 * ratio(10, 11, 11, "f1") // 0.909...
 */
export function ratio(c: number, t: number, p: number, func: ScoreFunc): number {
  const precision = c / (p === 0 ? 1 : p);
  const recall = c / (t === 0 ? 1 : t);
  if (func === "precision") return precision;
  if (func === "recall") return recall;
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/**
 * The set of k-grams of a token sequence. Unlike DiGiT, the last k-gram is included (DiGiT's
 * range stops one short, so "a b c" had no 3-gram at all; standard ROUGE-N counts it).
 *
 * @example
 * ngrams(Int32Array.of(1, 2, 3), 2) // Set { "1,2", "2,3" }
 */
export function ngrams(tokens: ArrayLike<number>, k: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + k <= tokens.length; i++) {
    let key = String(tokens[i]);
    for (let d = 1; d < k; d++) key += `,${tokens[i + d]}`;
    out.add(key);
  }
  return out;
}

/**
 * Scores pairs of texts for a fixed configuration. The target's LCS pattern and n-gram sets are
 * built once by `setTarget` and reused against many predictions.
 *
 * @example
 * const s = new PairScorer(["lcs"], "f1", vocab.size);
 * s.setTarget(tokensA);
 * s.score(tokensB);
 */
export class PairScorer {
  private readonly pattern: LcsPattern;
  private target: Int32Array = new Int32Array(0);
  private targetGrams: Set<string>[] = [];
  private readonly grams: number[];
  private readonly lcs: boolean;

  constructor(
    readonly types: readonly RougeType[],
    readonly func: ScoreFunc,
    vocabSize: number,
  ) {
    this.pattern = new LcsPattern(vocabSize);
    this.lcs = types.includes("lcs");
    this.grams = types.filter((t) => t !== "lcs").map((t) => Number(t.slice(2)));
  }

  /** Set the text being judged. */
  setTarget(tokens: Int32Array): void {
    this.target = tokens;
    if (this.lcs) this.pattern.set(tokens);
    this.targetGrams = this.grams.map((k) => ngrams(tokens, k));
  }

  /** LCS length between the target and `prediction`. */
  lcsWith(prediction: Int32Array): number {
    return this.pattern.lcs(prediction);
  }

  /** The mean score over the rouge types, target against `prediction`. */
  score(prediction: Int32Array, lcsLength?: number): number {
    let sum = 0;
    for (const type of this.types) {
      if (type === "lcs") {
        if (this.target.length === 0 || prediction.length === 0) {
          sum += 0;
          continue;
        }
        const c = lcsLength ?? this.pattern.lcs(prediction);
        sum += ratio(c, this.target.length, prediction.length, this.func);
      } else {
        const k = Number(type.slice(2));
        const t = this.targetGrams[this.grams.indexOf(k)]!;
        const p = ngrams(prediction, k);
        let c = 0;
        for (const g of p) if (t.has(g)) c++;
        sum += ratio(c, t.size, p.size, this.func);
      }
    }
    return sum / this.types.length;
  }
}
