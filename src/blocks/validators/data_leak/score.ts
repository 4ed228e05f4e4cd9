/**
 * The data-leak score (DiGiT's modified ROUGE-L, after its `validators/data_leak`): how much of a
 * generated text reproduces reference text, from 0 (nothing) to 1 (long verbatim copies).
 *
 * Per (generated sentence, reference sentence) pair it finds not one longest common subsequence
 * but several: after each, the matched words are masked on both sides and the search repeats, so
 * separately copied fragments all count. Stray function words at the ends of a match that sit far
 * from the rest are dropped. Each match scores by its weighted word count on a curve (few words
 * score low, many approach 1) minus penalties for gaps between its words and for gaps that differ
 * between the two texts. The match scores of a pair, the best pair of every generated sentence,
 * and so the whole text, are combined by `aggregate`: the best score plus a share of the others.
 */
import { isStopWord, normalizeWords, splitSentences } from "./text.js";

/**
 * Tuning of the score; the defaults are DiGiT's.
 *
 * @example
 * const settings: LeakSettings = { ...DEFAULT_LEAK_SETTINGS, word_leak_count_baseline: 8 };
 */
export interface LeakSettings {
  /** Weight of the penalty for gaps between a match's words in the generated text. */
  adjacency_penalty_weight: number;
  /** Weight of the penalty for gaps that differ between generated and reference text. */
  distance_consistency_penalty_weight: number;
  /** Weighted word count that scores `score_leak_baseline`; shorter matches score less. */
  word_leak_count_baseline: number;
  /** The score of a match of `word_leak_count_baseline` words. */
  score_leak_baseline: number;
  /** Power of the curve below the baseline. */
  curve_power: number;
  /** How fast the score approaches 1 above the baseline. */
  growth_rate: number;
  /** Largest gap (in words) allowed between a function word at a match's end and its neighbour. */
  min_allowed_index_distance: number;
  /** How much matches beyond the best add to a combined score. */
  alpha: number;
  /** Least weight of a function word in a match (0 to 1). */
  base_stop_word_w: number;
}

/**
 * DiGiT's defaults.
 *
 * @example
 * leakScore(text, refs, DEFAULT_LEAK_SETTINGS)
 */
export const DEFAULT_LEAK_SETTINGS: Readonly<LeakSettings> = {
  adjacency_penalty_weight: 0.2,
  distance_consistency_penalty_weight: 0.2,
  word_leak_count_baseline: 6,
  score_leak_baseline: 0.7,
  curve_power: 1.25,
  growth_rate: 0.3,
  min_allowed_index_distance: 1,
  alpha: 1,
  base_stop_word_w: 0.5,
};

/**
 * The best score plus, for each other score, its share of what is left below 1, rounded to four
 * places and capped at 1.
 *
 * @example
 * aggregate([0.5, 0.5], 1) // 0.6580
 */
export function aggregate(scores: readonly number[], alpha: number): number {
  if (scores.length === 0) return 0;
  const best = Math.max(...scores);
  let extra = 0;
  let skipped = false;
  for (const s of scores) {
    if (s === best && !skipped) {
      skipped = true;
      continue;
    }
    extra += (1 - best) * (s / scores.length) * (1 - Math.exp(-alpha));
  }
  return Math.min(Math.round((best + extra) * 1e4) / 1e4, 1);
}

/** A sentence's words as numbers (one per distinct word), with its words kept for weighting. */
interface Sentence {
  readonly key: string;
  readonly words: readonly string[];
  readonly ids: Int32Array;
}

/** A match: positions of the matched words in the reference and the generated sentence. */
interface Match {
  ref: number[];
  pred: number[];
}

/** How much `text` reproduces any of `references` (0 to 1). */
export function leakScore(
  text: string,
  references: readonly string[],
  settings: LeakSettings = DEFAULT_LEAK_SETTINGS,
): number {
  const vocab = new Map<string, number>();
  const sentence = (s: string): Sentence => {
    const words = normalizeWords(s);
    const ids = Int32Array.from(words, (w) => vocab.get(w) ?? vocab.set(w, vocab.size).get(w)!);
    return { key: words.join(" "), words, ids };
  };
  const refs = references.flatMap((r) => splitSentences(r)).map(sentence);
  const preds = splitSentences(text).map(sentence);
  // One result per distinct generated sentence; equal matches of one reference span count once.
  const bestPerPred = new Map<string, { score: number; span: string }>();
  for (const pred of preds) {
    for (const ref of refs) {
      const { score, matches } = scorePair(ref, pred, settings);
      const span = `${ref.key}\u0000${JSON.stringify(matches.map((m) => m.ref))}`;
      const prev = bestPerPred.get(pred.key);
      if (!prev || score > prev.score) bestPerPred.set(pred.key, { score, span });
    }
  }
  const bestPerSpan = new Map<string, number>();
  for (const { score, span } of bestPerPred.values())
    bestPerSpan.set(span, Math.max(score, bestPerSpan.get(span) ?? 0));
  return aggregate([...bestPerSpan.values()], settings.alpha);
}

function scorePair(
  ref: Sentence,
  pred: Sentence,
  s: LeakSettings,
): { score: number; matches: Match[] } {
  const matches = findMatches(ref, pred, s);
  const scores = matches.map((m) => {
    const count = weightedCount(
      m.pred.map((i) => pred.words[i]!),
      s.base_stop_word_w,
    );
    const penalty =
      s.adjacency_penalty_weight * (1 - adjacency(m.pred)) +
      s.distance_consistency_penalty_weight * (1 - consistency(m.ref, m.pred));
    return Math.max(0, Math.min(1, curve(count, s) - penalty));
  });
  return { score: aggregate(scores, s.alpha), matches };
}

const MASK_REF = -1;
const MASK_PRED = -2;

/** Repeated longest common subsequences, each found with the earlier ones' words masked. */
function findMatches(ref: Sentence, pred: Sentence, s: LeakSettings): Match[] {
  const r = Int32Array.from(ref.ids);
  const p = Int32Array.from(pred.ids);
  const found: Match[] = [];
  for (;;) {
    const m = lcs(r, p);
    trimFarStopWords(m, ref.words, s.min_allowed_index_distance);
    if (m.pred.length === 0) return found;
    found.push(m);
    for (const i of m.ref) r[i] = MASK_REF;
    for (const i of m.pred) p[i] = MASK_PRED;
  }
}

/** One longest common subsequence, traced forward from the start of both texts. */
function lcs(a: Int32Array, b: Int32Array): Match {
  const m = a.length;
  const n = b.length;
  const w = n + 1;
  const table = new Int32Array((m + 1) * w);
  for (let i = m - 1; i >= 0; i--) {
    for (let j = n - 1; j >= 0; j--) {
      table[i * w + j] =
        a[i] === b[j]
          ? table[(i + 1) * w + j + 1]! + 1
          : Math.max(table[(i + 1) * w + j]!, table[i * w + j + 1]!);
    }
  }
  const out: Match = { ref: [], pred: [] };
  let i = 0;
  let j = 0;
  while (i < m && j < n) {
    if (a[i] === b[j]) {
      out.ref.push(i++);
      out.pred.push(j++);
    } else if (table[(i + 1) * w + j]! >= table[i * w + j + 1]!) i++;
    else j++;
  }
  return out;
}

/**
 * Drop a lone short function word, then function words at either end that are more than
 * `maxGap` words from their neighbour in either text.
 */
function trimFarStopWords(m: Match, refWords: readonly string[], maxGap: number): void {
  if (m.ref.length === 1) {
    const word = refWords[m.ref[0]!]!;
    if (isStopWord(word) && word.length <= 3) {
      m.ref.length = 0;
      m.pred.length = 0;
      return;
    }
  }
  const far = (end: number, next: number) =>
    Math.abs(m.pred[end]! - m.pred[next]!) - 1 > maxGap ||
    Math.abs(m.ref[end]! - m.ref[next]!) - 1 > maxGap;
  while (
    m.pred.length > 1 &&
    far(m.pred.length - 1, m.pred.length - 2) &&
    isStopWord(refWords[m.ref.at(-1)!]!)
  ) {
    m.ref.pop();
    m.pred.pop();
  }
  while (m.pred.length > 1 && far(0, 1) && isStopWord(refWords[m.ref[0]!]!)) {
    m.ref.shift();
    m.pred.shift();
  }
}

/** Word count where function words weigh between `base` and 2·`base`, more in a content-rich match. */
function weightedCount(words: readonly string[], base: number): number {
  const stop = words.filter(isStopWord).length;
  const stopWeight = base + base * ((words.length - stop) / words.length);
  return stop * stopWeight + (words.length - stop);
}

/** Few matched words score low; at the baseline count the baseline score; beyond it towards 1. */
function curve(count: number, s: LeakSettings): number {
  if (count <= 0) return 0;
  const v =
    count <= s.word_leak_count_baseline
      ? s.score_leak_baseline * (count / s.word_leak_count_baseline) ** s.curve_power
      : 1 -
        (1 - s.score_leak_baseline) *
          Math.exp(-s.growth_rate * (count - s.word_leak_count_baseline));
  return Math.min(1, Math.max(0, v));
}

/** Mean of 1/gap between consecutive matched words of the generated text (1: contiguous). */
function adjacency(pred: readonly number[]): number {
  if (pred.length <= 1) return 1;
  let sum = 0;
  for (let k = 1; k < pred.length; k++) sum += 1 / (pred[k]! - pred[k - 1]!);
  return sum / (pred.length - 1);
}

/** 1 / (1 + mean difference between the gaps in the two texts). */
function consistency(ref: readonly number[], pred: readonly number[]): number {
  if (pred.length <= 1) return 1;
  let sum = 0;
  for (let k = 1; k < pred.length; k++)
    sum += Math.abs(ref[k]! - ref[k - 1]! - (pred[k]! - pred[k - 1]!));
  return 1 / (1 + sum / (pred.length - 1));
}
