/**
 * DiGiT's ROUGE dedup, exact and incremental, independent of the block plumbing (the benchmark
 * drives it directly).
 *
 * DiGiT's semantics, for a list of texts and an optional `context`:
 * 1. with a non-empty context and threshold ≤ 1, each text's context score is its highest score
 *    against any context text; texts at or above the threshold fail (and are removed when
 *    filtering);
 * 2. the remaining texts are stable-sorted by context score (so the order changes only when a
 *    context is given);
 * 3. greedy dedup in that order: a text fails when its highest score against a text already added
 *    reaches the threshold; valid texts are added (all texts, when not filtering).
 *
 * Incremental: without a context, the texts kept by the previous pass of the same scope (by `id`)
 * are not compared again when they come first in the new list in their previous order; only new
 * texts are compared (with everything before them). Ids absent from the new list leave the index.
 * This gives exactly the result of a full pass: a kept text was already shown to be below the
 * threshold against every text that could now precede it.
 */
import { availableParallelism } from "node:os";
import {
  type ConflictJob,
  type ConflictResult,
  findConflicts,
  MAX_CONFLICTS,
  type PairStats,
} from "./conflicts.js";
import { greedy } from "./greedy.js";
import { onlineGreedy } from "./online.js";
import { ConflictPool } from "./pool.js";
import { BOUND_EPSILON, PairScorer, type RougeType, ratio, type ScoreFunc } from "./score.js";
import { Vocabulary } from "./tokenize.js";

/**
 * How texts are scored.
 *
 * @example
 * new RougeDeduplicator({ threshold: 0.7, scoreFunc: "f1", workers: 2 });
 */
export interface DedupSettings {
  /** A text fails when its score ≥ threshold; above 1 nothing fails. */
  threshold: number;
  scoreFunc: ScoreFunc;
  rougeTypes: RougeType[];
  /** Threads for large passes, this one included (0 or 1 = only this thread). */
  workers: number;
  /** A pass uses threads only when (texts to judge) × (all texts) reaches this. */
  parallelMinPairs: number;
  /**
   * The most conflicting pairs a thread lists before the pass is decided row by row instead
   * (see `ConflictJob.maxConflicts`; same verdicts, memory linear in the texts).
   */
  maxConflicts: number;
}

/**
 * One text to judge.
 *
 * @example
 * const input: DedupInput = { text: "What is the capital of France?", id: "a1b2" };
 */
export interface DedupInput {
  text: string;
  /** Stable id (enables the incremental index). */
  id?: string | undefined;
}

/**
 * The verdict for one input.
 *
 * @example
 * if (!v.valid && v.match !== undefined) console.log("duplicate of input", v.match, "score", v.score);
 */
export interface DedupVerdict {
  valid: boolean;
  /** Failed the context check (then it was not part of the greedy pass when filtering). */
  contextFailed?: boolean | undefined;
  /** Highest score against the context (when a context was given). */
  contextScore?: number | undefined;
  /** Highest score against an earlier kept text, when it reached the threshold. */
  score?: number | undefined;
  /** Index (in the inputs) of the earlier text that gave `score`. */
  match?: number | undefined;
}

/**
 * The outcome of one pass.
 *
 * @example
 * const kept = outcome.order.filter((i) => outcome.verdicts[i].valid);
 */
export interface DedupOutcome {
  /** Input indices in output order (after the context sort); excludes context failures when filtering. */
  order: number[];
  verdicts: DedupVerdict[];
  stats: PairStats & { reused: number; threads: number };
}

interface IndexEntry {
  text: string;
  tokens: Int32Array;
  seq: number;
  valid: boolean;
}

const DEFAULTS: DedupSettings = {
  threshold: 1.1,
  scoreFunc: "f1",
  rougeTypes: ["lcs"],
  workers: -1,
  parallelMinPairs: 20_000_000,
  maxConflicts: MAX_CONFLICTS,
};

/**
 * Exact greedy ROUGE dedup with an incremental per-scope index.
 *
 * @example
 * const d = new RougeDeduplicator({ threshold: 0.7 });
 * const { verdicts } = await d.run([{ text: "a b c" }, { text: "a b c" }], { filtering: true });
 * verdicts[1].valid // false
 * await d.close();
 */
export class RougeDeduplicator {
  readonly settings: DedupSettings;
  private readonly vocab = new Vocabulary();
  private readonly scopes = new Map<string, Map<string, IndexEntry>>();
  private pool: ConflictPool | undefined;

  constructor(settings: Partial<DedupSettings> = {}) {
    this.settings = { ...DEFAULTS, ...settings };
    if (this.settings.workers < 0) this.settings.workers = Math.min(availableParallelism(), 8);
  }

  /**
   * Judge `inputs`. `scope` names the incremental index to use (e.g. the task name); passes with
   * a context never use or change it.
   */
  async run(
    inputs: readonly DedupInput[],
    options: {
      filtering: boolean;
      context?: readonly string[] | undefined;
      scope?: string | undefined;
      scoreFunc?: ScoreFunc | undefined;
    },
  ): Promise<DedupOutcome> {
    const { threshold, rougeTypes } = this.settings;
    const scoreFunc = options.scoreFunc ?? this.settings.scoreFunc;
    const n = inputs.length;
    const stats = {
      pairs: 0,
      candidates: 0,
      lengthSkipped: 0,
      positionSkipped: 0,
      overlapSkipped: 0,
      scored: 0,
      reused: 0,
      threads: 0,
    };
    const verdicts: DedupVerdict[] = inputs.map(() => ({ valid: true }));
    if (threshold > 1 || n === 0) return { order: inputs.map((_, i) => i), verdicts, stats };

    const context = options.context ?? [];
    const scopeKey = `${options.scope ?? ""}\u0000${scoreFunc}\u0000${options.filtering}`;
    const index = context.length ? undefined : this.scopes.get(scopeKey);
    const tokens = inputs.map((input) => {
      const hit = input.id !== undefined ? index?.get(input.id) : undefined;
      return hit && hit.text === input.text ? hit.tokens : this.vocab.encode(input.text);
    });

    // Context check and sort.
    let order = inputs.map((_, i) => i);
    if (context.length) {
      const ctxTokens = context.map((c) => this.vocab.encode(c));
      const scorer = new PairScorer(rougeTypes, scoreFunc, this.vocab.size);
      const worst = tokens.map((t) => maxScore(scorer, t, ctxTokens, scoreFunc, rougeTypes));
      worst.forEach((w, i) => {
        verdicts[i]!.contextScore = w;
        if (w >= threshold) verdicts[i] = { ...verdicts[i]!, valid: false, contextFailed: true };
      });
      order = order.filter((i) => !verdicts[i]!.contextFailed || !options.filtering);
      order.sort((x, y) => worst[x]! - worst[y]!); // Array.prototype.sort is stable
    }

    // Which rows can pass without being compared again (see the class comment).
    const probe = new Uint8Array(order.length).fill(1);
    if (index) {
      let lastSeq = -1;
      for (let k = 0; k < order.length; k++) {
        const input = inputs[order[k]!]!;
        const entry = input.id !== undefined ? index.get(input.id) : undefined;
        if (!entry?.valid || entry.text !== input.text || entry.seq <= lastSeq) break;
        probe[k] = 0;
        lastSeq = entry.seq;
        stats.reused++;
      }
    }

    const packed = packJob(
      order.map((i) => tokens[i]!),
      probe,
      this.vocab.size,
      threshold,
      scoreFunc,
      rougeTypes,
    );
    const probed = order.length - stats.reused;
    const threads =
      this.settings.workers > 1 && probed * order.length >= this.settings.parallelMinPairs
        ? this.settings.workers
        : 0;
    // Chunks small enough to balance threads, large enough to keep claiming cheap.
    const chunkSize = Math.max(8, Math.ceil(order.length / ((threads || 1) * 32)));
    const counter = new Int32Array(threads ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
    const job: ConflictJob = {
      ...packed,
      counter,
      chunkSize,
      maxConflicts: Math.max(1, Math.floor(this.settings.maxConflicts / (threads || 1))),
    };
    let parts: ConflictResult[];
    if (threads) {
      this.pool ??= new ConflictPool(threads - 1);
      parts = await this.pool.run(job, findConflicts);
    } else {
      parts = [findConflicts(job)];
    }
    stats.threads = threads;
    // Too many conflicting pairs to list (many equal texts): decide row by row instead.
    const overflow = parts.some((p) => p.overflow);
    const decided = overflow
      ? onlineGreedy(packed, options.filtering, stats)
      : greedy(order.length, probe, parts, options.filtering);
    if (!overflow)
      for (const p of parts)
        for (const k of [
          "pairs",
          "candidates",
          "lengthSkipped",
          "positionSkipped",
          "overlapSkipped",
          "scored",
        ] as const)
          stats[k] += p.stats[k];
    decided.forEach((g, k) => {
      const i = order[k]!;
      const v = verdicts[i]!;
      if (!g.valid) Object.assign(v, { valid: false, score: g.score, match: order[g.match!] });
    });

    if (!context.length) {
      // The next pass of this scope reuses the rows added by this one, numbered in this order.
      const next = new Map<string, IndexEntry>();
      const twice = new Set<string>();
      decided.forEach((g, k) => {
        const i = order[k]!;
        const id = inputs[i]!.id;
        if (!g.added || id === undefined) return;
        if (next.has(id)) twice.add(id);
        next.set(id, { text: inputs[i]!.text, tokens: tokens[i]!, seq: k, valid: g.valid });
      });
      for (const id of twice) next.delete(id);
      this.scopes.set(scopeKey, next);
    }
    return { order, verdicts, stats };
  }

  /** Forget every incremental index. */
  reset(): void {
    this.scopes.clear();
  }

  /** Stop worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

/**
 * Pack token arrays into one flat job (cheap to send to a thread).
 *
 * @example
 * const job = packJob([vocab.encode("a b"), vocab.encode("a c")], Uint8Array.of(1, 1), vocab.size, 0.7, "f1", ["lcs"]);
 */
export function packJob(
  rows: readonly Int32Array[],
  probe: Uint8Array,
  vocabSize: number,
  threshold: number,
  scoreFunc: ScoreFunc,
  rougeTypes: RougeType[],
): Omit<ConflictJob, "counter" | "chunkSize"> {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((r, k) => {
    offsets[k + 1] = offsets[k]! + r.length;
  });
  const flat = new Int32Array(offsets[rows.length]!);
  rows.forEach((r, k) => {
    flat.set(r, offsets[k]!);
  });
  return { flat, offsets, probe, vocabSize, threshold, scoreFunc, rougeTypes };
}

/**
 * Exact highest score of `target` against `others`. For ROUGE-L alone, others are visited by
 * decreasing upper bound (length and token overlap) and the walk stops once no bound can beat the
 * best score found: the maximum is still exact.
 */
function maxScore(
  scorer: PairScorer,
  target: Int32Array,
  others: readonly Int32Array[],
  func: ScoreFunc,
  types: readonly RougeType[],
): number {
  scorer.setTarget(target);
  if (!(types.length === 1 && types[0] === "lcs"))
    return others.reduce((m, o) => Math.max(m, scorer.score(o)), -Infinity);
  const counts = new Map<number, number>();
  for (const t of target) counts.set(t, (counts.get(t) ?? 0) + 1);
  const bounds = others.map((o, k) => {
    const used = new Map<number, number>();
    let overlap = 0;
    for (const t of o) {
      const u = used.get(t) ?? 0;
      if (u < (counts.get(t) ?? 0)) {
        used.set(t, u + 1);
        overlap++;
      }
    }
    return {
      k,
      ub: ratio(Math.min(overlap, target.length, o.length), target.length, o.length, func),
    };
  });
  bounds.sort((x, y) => y.ub - x.ub || x.k - y.k);
  let best = -Infinity;
  for (const { k, ub } of bounds) {
    if (ub < best - BOUND_EPSILON) break;
    best = Math.max(best, scorer.score(others[k]!));
  }
  return best;
}
