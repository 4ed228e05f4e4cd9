/**
 * The plain ROUGE dedup, written as directly as the reference describes it (§4.9): every pair
 * scored with the dynamic-programming LCS, no bounds, no index, no threads. Tests and the
 * benchmark compare the fast implementation against it; nothing in a run uses it.
 */
import { lcsPlain } from "./lcs.js";
import { ngrams, ratio, type RougeType, type ScoreFunc } from "./score.js";
import { tokenize } from "./tokenize.js";

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

/**
 * Score `target` against `prediction` (token strings) with the plain LCS.
 *
 * @example
 * plainScore(["a", "b"], ["a", "c"], ["lcs"], "f1") // 0.5
 */
export function plainScore(target: readonly string[], prediction: readonly string[], types: readonly RougeType[], func: ScoreFunc): number {
  let sum = 0;
  for (const type of types) {
    if (type === "lcs") {
      if (!target.length || !prediction.length) continue;
      const ids = new Map<string, number>();
      const id = (s: string) => ids.get(s) ?? (ids.set(s, ids.size), ids.size - 1);
      sum += ratio(lcsPlain(target.map(id), prediction.map(id)), target.length, prediction.length, func);
    } else {
      const k = Number(type.slice(2));
      const ids = new Map<string, number>();
      const id = (s: string) => ids.get(s) ?? (ids.set(s, ids.size), ids.size - 1);
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
export function plainDedup(texts: readonly string[], o: PlainOptions): { order: number[]; verdicts: PlainVerdict[] } {
  const types = o.rougeTypes ?? ["lcs"];
  const func = o.scoreFunc ?? "f1";
  const toks = texts.map(tokenize);
  const ctx = (o.context ?? []).map(tokenize);
  const verdicts: PlainVerdict[] = texts.map(() => ({ valid: true }));
  const worst = toks.map((t) => (ctx.length && o.threshold <= 1 ? Math.max(...ctx.map((c) => plainScore(t, c, types, func))) : -1));
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
