import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Span } from "../../../telemetry/telemetry.js";
import { closest } from "../../../util/did-you-mean.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext, BlockItem } from "../../block.js";
import { ValidatorBlock } from "../../validator.js";
import { RougeDeduplicator } from "./dedup.js";
import type { ScoreFunc } from "./score.js";

const scoreFunc = z.enum(["f1", "precision", "recall"]);
/** DiGiT's threshold when none is given: above any score, so nothing is rejected. */
const NO_THRESHOLD = 1.1;
const CALL_OPTIONS = ["context", "score_func", "filter"];

/** The YAML keys of a `rouge_scorer` block. */
const rougeConfigSchema = ValidatorBlock.configSchema.extend({
  // null (an empty YAML value) means the default too, as in DiGiT.
  threshold: z
    .number()
    .nullable()
    .default(NO_THRESHOLD)
    .transform((v) => v ?? NO_THRESHOLD)
    .describe(
      "A row fails when its ROUGE score against an earlier kept row or the context reaches this (1.1: never)",
    ),
  score_func: scoreFunc.default("f1").describe("Which ROUGE score is compared with threshold"),
  rouge_types: z
    .array(z.enum(["lcs", "n_1", "n_2", "n_3"]))
    .min(1)
    .default(["lcs"])
    .describe("ROUGE variants scored (lcs: ROUGE-L; n_k: k-gram overlap); the highest counts"),
  /** DiGiT's early-exit switch; accepted for compatibility, dedup here is always exact. */
  fast_rouge: z
    .boolean()
    .optional()
    .describe("DiGiT's early-exit switch; accepted, but dedup here is always exact"),
  /** Threads for large inputs, the calling one included (0 or 1 = no worker; default: the machine's cores, at most 8). */
  workers: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      "Threads for large inputs, the calling one included (0 or 1: none; default the machine's cores, at most 8)",
    ),
});

/**
 * Removes near-duplicates by ROUGE-L (DiGiT's `rouge_scorer`): a row fails when its score
 * against a row kept before it, or against a call-time `context` text, reaches `threshold`.
 *
 * Decisions equal DiGiT's exact algorithm; it is fast enough for whole datasets (bit-parallel
 * LCS, exact pruning bounds, worker threads) and incremental as a postprocessor: rows kept by the
 * previous call (same `task_name`, by `id`) are not compared again. Non-ASCII text is tokenised
 * per script (DiGiT drops it). Every removed row, including those failing the context check
 * (which DiGiT drops silently), is written to `blocks/<name>.jsonl` with its reason.
 *
 * @example
 * # builder YAML
 * blocks:
 *   - name: dedup
 *     type: rouge_scorer
 *     threshold: 0.7
 *     filter: true
 *     input_map: { question: input }
 * postprocessors:
 *   - name: dedup
 */

@registerBlock("rouge_scorer")
export class RougeScorer extends ValidatorBlock<typeof rougeConfigSchema, { input: string }> {
  static override configSchema = rougeConfigSchema;

  private readonly dedup: RougeDeduplicator;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    const { threshold, score_func, rouge_types, workers } = this.config;
    this.dedup = new RougeDeduplicator({
      threshold,
      scoreFunc: score_func,
      rougeTypes: [...new Set(rouge_types)],
      ...(workers !== undefined ? { workers } : {}),
    });
  }

  /** The threshold in effect (1.1 when unset: nothing is rejected). */
  get threshold(): number {
    return this.dedup.settings.threshold;
  }

  protected override async execute(
    items: BlockItem[],
    options: Row,
    span?: Span,
  ): Promise<BlockItem[]> {
    for (const key of Object.keys(options)) {
      if (!CALL_OPTIONS.includes(key)) {
        const near = closest(key, CALL_OPTIONS);
        throw new ConfigError(
          `block '${this.name}' (rouge_scorer) got an unknown call option '${key}'`,
          {
            hint: `${near ? `did you mean '${near}'? ` : ""}rouge_scorer accepts: ${CALL_OPTIONS.join(", ")}`,
          },
        );
      }
    }
    const context = parseContext(this.name, options.context);
    const func =
      options.score_func === undefined || options.score_func === null
        ? undefined
        : parseScoreFunc(this.name, options.score_func);
    const filtering = this.filters && options.filter !== false;
    const inputs = items.map((item) => ({
      text: textOf(this.name, item.input),
      id: typeof item.SRC_DATA.id === "string" ? item.SRC_DATA.id : undefined,
    }));
    const scope = [...new Set(items.map((i) => String(i.SRC_DATA.task_name ?? "")))]
      .sort()
      .join("\u0000");
    const { order, verdicts } = await this.dedup.run(inputs, {
      filtering,
      context,
      scope,
      scoreFunc: func,
    });
    const thr = this.threshold;

    const kept: BlockItem[] = [];
    const removed: BlockItem[] = [];
    const inOrder = new Set(order);
    const place = (i: number) => {
      const item = items[i]!;
      const v = verdicts[i]!;
      item.is_valid = v.valid;
      if (v.valid)
        item.metadata = v.contextScore !== undefined ? { context_score: v.contextScore } : null;
      else {
        const meta: Row = {};
        if (v.score !== undefined) {
          meta.score = v.score;
          const matchId = items[v.match!]?.SRC_DATA.id;
          if (matchId !== undefined) meta.duplicate_of = matchId;
        }
        if (v.contextScore !== undefined) meta.context_score = v.contextScore;
        meta.reason = v.contextFailed
          ? `Maximum rouge score against the context (${v.contextScore}) is equal or greater than threshold (${thr})`
          : `Maximum rouge score (${v.score}) is equal or greater than threshold (${thr})`;
        item.metadata = meta;
      }
      (v.valid || !filtering ? kept : removed).push(item);
    };
    for (const i of order) place(i);
    // Rows that failed the context check while filtering are not in `order`; DiGiT drops them
    // without a trace, digit records them like every other removed row.
    items.forEach((_, i) => {
      if (!inOrder.has(i)) place(i);
    });
    if (removed.length) await this.recordRemoved(removed, span);
    return kept;
  }

  override async close(): Promise<void> {
    await this.dedup.close();
  }
}

function textOf(block: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  throw new ConfigError(
    `block '${block}' (rouge_scorer): 'input' must be a string, got ${Array.isArray(value) ? "a list" : typeof value}`,
    {
      hint: "map a text field to it, e.g. input_map: { question: input }",
    },
  );
}

function parseContext(block: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new ConfigError(`block '${block}' (rouge_scorer): 'context' must be a list of strings`);
}

function parseScoreFunc(block: string, value: unknown): ScoreFunc {
  const r = scoreFunc.safeParse(value);
  if (r.success) return r.data;
  throw new ConfigError(
    `block '${block}' (rouge_scorer): score_func '${String(value)}' is not one of f1, precision, recall`,
  );
}
