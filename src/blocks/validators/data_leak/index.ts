import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Span } from "../../../telemetry/telemetry.js";
import { closest } from "../../../util/did-you-mean.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext, BlockFields, BlockItem } from "../../block.js";
import {
  ok,
  reject,
  type Validation,
  ValidatorBlock,
  type ValidatorFields,
} from "../../validator.js";
import { DEFAULT_LEAK_SETTINGS, type LeakSettings, leakScore } from "./score.js";

/** DiGiT's default: above any score, so nothing is scored or rejected. */
const NO_THRESHOLD = 1.1;
const CALL_OPTIONS = ["context", "filter"];
const texts = z.union([z.string(), z.array(z.string())]);

const unit = (what: string) => z.number().min(0).max(1).describe(what);
const positive = (what: string) => z.number().min(0).describe(what);
const d = DEFAULT_LEAK_SETTINGS;

const dataLeakConfigSchema = ValidatorBlock.configSchema.extend({
  threshold: z
    .number()
    .nullable()
    .default(NO_THRESHOLD)
    .transform((v) => v ?? NO_THRESHOLD)
    .describe("A row fails when its leak score (0 to 1) reaches this; above 1 turns the check off"),
  context: texts
    .optional()
    .describe("Protected texts every row is checked against (else each row's local_context)"),
  adjacency_penalty_weight: unit("Penalty weight for gaps between a match's words").default(
    d.adjacency_penalty_weight,
  ),
  distance_consistency_penalty_weight: unit(
    "Penalty weight for gaps that differ between the texts",
  ).default(d.distance_consistency_penalty_weight),
  word_leak_count_baseline: positive("Matched word count that scores score_leak_baseline").default(
    d.word_leak_count_baseline,
  ),
  score_leak_baseline: unit("Score of a match of word_leak_count_baseline words").default(
    d.score_leak_baseline,
  ),
  curve_power: positive("Power of the score curve below the baseline").default(d.curve_power),
  growth_rate: positive("How fast scores above the baseline approach 1").default(d.growth_rate),
  min_allowed_index_distance: z
    .number()
    .int()
    .min(0)
    .default(d.min_allowed_index_distance)
    .describe("Largest gap allowed next to a function word at a match's end"),
  alpha: positive("How much matches beyond the best add to a score").default(d.alpha),
  base_stop_word_w: unit("Least weight of a function word in a match").default(d.base_stop_word_w),
});

/**
 * Flags rows that reproduce protected source text (DiGiT's `validators/data_leak`): each row's
 * `input` is scored against reference texts with DiGiT's modified ROUGE-L leak score (see
 * `score.ts`) and fails when the score reaches `threshold`. The references are, first found: the
 * call's `context` option (a builder passing its seed texts), the block's `context` setting, or
 * the row's `local_context` (a string or a list). The score goes to `metadata.score`.
 *
 * @example
 * # builder YAML
 * blocks:
 *   - name: no_copies
 *     type: validators/data_leak
 *     threshold: 0.55
 *     filter: true
 *     input_map: { answer: input, document: local_context }
 */
@registerBlock("validators/data_leak")
export class DataLeakValidator extends ValidatorBlock<typeof dataLeakConfigSchema, Row> {
  static override configSchema = dataLeakConfigSchema;
  static override fields: BlockFields | undefined = {
    required: ["input"],
    optional: ["local_context"],
  };
  private readonly tuning: LeakSettings;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    const c = this.config;
    this.tuning = {
      adjacency_penalty_weight: c.adjacency_penalty_weight,
      distance_consistency_penalty_weight: c.distance_consistency_penalty_weight,
      word_leak_count_baseline: c.word_leak_count_baseline,
      score_leak_baseline: c.score_leak_baseline,
      curve_power: c.curve_power,
      growth_rate: c.growth_rate,
      min_allowed_index_distance: c.min_allowed_index_distance,
      alpha: c.alpha,
      base_stop_word_w: c.base_stop_word_w,
    };
  }

  override async validateBatch(
    items: (BlockItem & ValidatorFields)[],
    options: Row = {},
    _span?: Span,
  ): Promise<Validation[]> {
    for (const key of Object.keys(options)) {
      if (CALL_OPTIONS.includes(key)) continue;
      const near = closest(key, CALL_OPTIONS);
      throw new ConfigError(
        `block '${this.name}' (validators/data_leak) got an unknown call option '${key}'`,
        {
          hint: `${near ? `did you mean '${near}'? ` : ""}it accepts: ${CALL_OPTIONS.join(", ")}`,
        },
      );
    }
    const shared = options.context ?? this.config.context;
    const global =
      shared === undefined || shared === null ? undefined : this.references(shared, "the context");
    const threshold = this.config.threshold;
    return items.map((item) => {
      const refs = global?.length ? global : this.references(item.local_context, "local_context");
      if (!refs.length) {
        throw new ConfigError(
          `block '${this.name}' (validators/data_leak): a row has no reference text to check against`,
          {
            hint: "give the block a 'context:' list, pass 'context' when calling it, or map a field of the rows to local_context (input_map: { document: local_context })",
          },
        );
      }
      if (threshold > 1) return true;
      const input = item.input;
      if (typeof input !== "string")
        throw new ConfigError(
          `block '${this.name}' (validators/data_leak): 'input' must be text, got ${input === null ? "null" : typeof input}`,
          { hint: "map a text field to input" },
        );
      const score = leakScore(input, refs, this.tuning);
      return score < threshold
        ? ok({ score })
        : reject(`leak score ${score} reaches threshold ${threshold}`, { score });
    });
  }

  private references(value: unknown, what: string): string[] {
    if (value === undefined || value === null) return [];
    const parsed = texts.safeParse(value);
    if (!parsed.success)
      throw new ConfigError(
        `block '${this.name}' (validators/data_leak): ${what} must be a text or a list of texts`,
      );
    return typeof parsed.data === "string" ? [parsed.data] : parsed.data;
  }
}
