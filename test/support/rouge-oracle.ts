/**
 * Test oracle for the rouge_scorer block: the ROUGE dedup written as directly as DiGiT's
 * semantics state it, every pair scored with the textbook dynamic-programming LCS, no bounds,
 * no index, no threads. The block's tests and `npm run bench rouge-dedup` check the fast
 * implementation against it.
 */
import {
  ngrams,
  type RougeType,
  ratio,
  type ScoreFunc,
} from "../../src/blocks/validators/rouge/score.js";
import { tokenize } from "../../src/blocks/validators/rouge/tokenize.js";

/**
 * LCS length by plain dynamic programming (two rolling rows, O(m·n) cells).
 *
 * @example
 * lcsPlain(Int32Array.of(1, 2, 3, 4), Int32Array.of(1, 3, 4)) // 3
 */
export function lcsPlain(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) return 0;
  let prev = new Int32Array(n + 1);
  let cur = new Int32Array(n + 1);
  for (let i = 1; i <= m; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= n; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[n]!;
}

/**
 * Options of the plain pass.
 *
 * @example
 * plainDedup(texts, { threshold: 0.7, filtering: true, context: ["seed question"] });
 */
export interface PlainOptions {
  threshold: number;
  scoreFunc?: ScoreFunc;
  rougeTypes?: RougeType[];
  filtering: boolean;
  context?: readonly string[];
}

/**
 * Per-input result of the plain pass (same shape as the fast one's essentials).
 *
 * @example
 * plainDedup(["a", "a"], { threshold: 1, filtering: true }).verdicts[1] // { valid: false, score: 1 }
 */
export interface PlainVerdict {
  valid: boolean;
  score?: number;
  contextScore?: number;
}

/** A function numbering distinct tokens 0, 1, 2, ... in order of first sight. */
function tokenIds(): (token: string) => number {
  const ids = new Map<string, number>();
  return (token) => {
    let id = ids.get(token);
    if (id === undefined) {
      id = ids.size;
      ids.set(token, id);
    }
    return id;
  };
}

/**
 * Score `target` against `prediction` (token strings) with the plain LCS.
 *
 * @example
 * plainScore(["a", "b"], ["a", "c"], ["lcs"], "f1") // 0.5
 */
export function plainScore(
  target: readonly string[],
  prediction: readonly string[],
  types: readonly RougeType[],
  func: ScoreFunc,
): number {
  let sum = 0;
  for (const type of types) {
    if (type === "lcs") {
      if (!target.length || !prediction.length) continue;
      const id = tokenIds();
      sum += ratio(
        lcsPlain(target.map(id), prediction.map(id)),
        target.length,
        prediction.length,
        func,
      );
    } else {
      const k = Number(type.slice(2));
      const id = tokenIds();
      const t = ngrams(target.map(id), k);
      const p = ngrams(prediction.map(id), k);
      let c = 0;
      for (const g of p) if (t.has(g)) c++;
      sum += ratio(c, t.size, p.size, func);
    }
  }
  return sum / types.length;
}

/**
 * Run the plain dedup. Returns input indices in output order (excluding context failures when
 * filtering) and a verdict per input.
 *
 * @example
 * plainDedup(["a b", "a b"], { threshold: 1, filtering: true }).verdicts[1].valid // false
 */
export function plainDedup(
  texts: readonly string[],
  o: PlainOptions,
): { order: number[]; verdicts: PlainVerdict[] } {
  const types = o.rougeTypes ?? ["lcs"];
  const func = o.scoreFunc ?? "f1";
  const toks = texts.map(tokenize);
  const ctx = (o.context ?? []).map(tokenize);
  const verdicts: PlainVerdict[] = texts.map(() => ({ valid: true }));
  const worst = toks.map((t) =>
    ctx.length && o.threshold <= 1
      ? Math.max(...ctx.map((c) => plainScore(t, c, types, func)))
      : -1,
  );
  let order = texts.map((_, i) => i).filter((i) => worst[i]! < o.threshold || !o.filtering);
  order.sort((x, y) => worst[x]! - worst[y]!);
  texts.forEach((_, i) => {
    if (ctx.length && o.threshold <= 1) verdicts[i]!.contextScore = worst[i]!;
    if (worst[i]! >= o.threshold) verdicts[i]!.valid = false;
  });
  const added: number[] = [];
  const out: number[] = [];
  for (const i of order) {
    let valid = true;
    if (o.threshold <= 1 && added.length) {
      const max = Math.max(...added.map((j) => plainScore(toks[i]!, toks[j]!, types, func)));
      valid = max < o.threshold;
      if (!valid) verdicts[i]!.score = max;
    }
    if (!valid) verdicts[i]!.valid = false;
    if (valid || !o.filtering) {
      added.push(i);
      out.push(i);
    } else out.push(i);
  }
  order = out;
  return { order, verdicts };
}
