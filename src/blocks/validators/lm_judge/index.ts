import { z } from "zod";
import { ConfigError, DigitError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Span } from "../../../telemetry/telemetry.js";
import type { Row } from "../../../util/mapping.js";
import { getPath, MISSING } from "../../../util/paths.js";
import type { Block, BlockConfig, BlockContext, BlockFields, BlockItem } from "../../block.js";
import { resultText } from "../../lm/provider.js";
import { reject, type Validation, ValidatorBlock, type ValidatorFields } from "../../validator.js";
import { parseVerdict, type Rubric, rubricInstructions, type Success } from "./verdict.js";

const level = z.strictObject({ score: z.number(), description: z.string().min(1) });
const rubricSchema = z.strictObject({
  /** What the judge assesses, e.g. "factual accuracy of the answer". */
  criteria: z.string().min(1),
  levels: z.array(level).min(2),
  /** Rows scoring below this fail. */
  min_score: z.number(),
});
const successSchema = z.union([
  z.strictObject({
    regex: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsuv]*$/)
      .default(""),
  }),
  z.strictObject({ min_score: z.number(), score_regex: z.string().min(1).optional() }),
]);

/**
 * Programmatic verdict, for builders calling the judge from code (DiGiT's per-row `success_func`).
 *
 * @example
 * const success_func: SuccessFunc = (text) => text.trim().toLowerCase().startsWith("yes");
 */
export type SuccessFunc = (
  judgeOutput: string,
) => boolean | { valid: boolean; reason?: string; metadata?: Row };

/** The YAML keys of an `lm_judge` block. */
const lmJudgeConfigSchema = ValidatorBlock.configSchema.extend({
  lm_config: z
    .looseObject({ type: z.string().min(1) })
    .describe("The judge model: an LM block config (type, model_id_or_path, ...)"),
  method: z
    .enum(["completion", "chat_completion"])
    .default("completion")
    .describe("How the judge is asked"),
  prompt: z
    .string()
    .min(1)
    .optional()
    .describe("Template rendered over each row ({{field}}); without it the row's input is sent"),
  success: successSchema
    .optional()
    .describe(
      "{regex, flags}: pass when the answer matches; {min_score, score_regex}: pass when the answer's score reaches min_score",
    ),
  rubric: rubricSchema
    .optional()
    .describe(
      "{criteria, levels: [{score, description}], min_score}: the judge scores rows by the rubric",
    ),
});

/**
 * An LLM as a validator (DiGiT's `lm_judge`): each row's `input` (or the `prompt` template
 * rendered over the row) goes to the judge model `lm_config`, all rows in one batched call so the
 * provider's concurrency is used; the judge's answer decides.
 *
 * How the answer decides, in YAML:
 * - `rubric: {criteria, levels: [{score, description}], min_score}` — the prompt is followed by
 *   the rubric and a request to answer `{"score": n, "reason": "..."}`; rows below `min_score` fail;
 * - `success: {regex, flags}` — passes when the answer matches;
 * - `success: {min_score, score_regex?}` — the first number in the answer (or `score_regex`'s
 *   first group) must reach `min_score`;
 * - or, from code, a `success_func` on each row.
 * A failed judge request is never a pass. Rejected rows keep `judge_output`, the score and the
 * judge's reason in `metadata`.
 *
 * @example
 * - name: judge
 *   type: lm_judge
 *   filter: true
 *   lm_config: { type: openai, model_id_or_path: gpt-4o-mini, temperature: 0 }
 *   method: chat_completion
 *   prompt: "Question: {{question}}\nAnswer: {{answer}}\nIs the answer correct?"
 *   rubric:
 *     criteria: correctness of the answer
 *     levels:
 *       - { score: 1, description: wrong }
 *       - { score: 3, description: partly right }
 *       - { score: 5, description: fully right }
 *     min_score: 4
 */

@registerBlock("lm_judge")
export class LMJudge extends ValidatorBlock<typeof lmJudgeConfigSchema, Row> {
  /** Each row is judged on its own: postprocessing may stream through it. */
  static override rowwise = true;
  static override configSchema = lmJudgeConfigSchema;
  static override fields: BlockFields | undefined = {
    required: [],
    optional: ["input", "gen_kwargs", "success_func"],
  };

  private judge: Promise<Block> | undefined;
  private readonly success: Success | undefined;
  private readonly rubric: Rubric | undefined;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.rubric = this.config.rubric;
    this.success = this.config.success;
    if (this.rubric && this.success)
      throw new ConfigError(`block '${this.name}': give 'rubric' or 'success', not both`, {
        hint: "a rubric already decides by its min_score",
      });
    if (this.success && "regex" in this.success) {
      try {
        new RegExp(this.success.regex, this.success.flags);
      } catch (e) {
        throw new ConfigError(
          `block '${this.name}': success.regex is not a valid regular expression: ${(e as Error).message}`,
        );
      }
    }
  }

  /** The judge model is created now, so its credential limit holds from the run's first request. */
  override async open(): Promise<void> {
    await this.child();
  }

  private child(): Promise<Block> {
    if (!this.judge) {
      const create = this.ctx.createBlock;
      if (!create)
        throw new DigitError(
          "DIGIT_BLOCK_CONTEXT",
          `block '${this.name}' (lm_judge) was built without a way to create its judge model`,
          { hint: "create blocks through createBlock(registry, config, ctx)" },
        );
      this.judge = create({ name: `${this.name}.judge`, ...this.config.lm_config });
      // A failed creation is retried on the next call rather than cached.
      this.judge.catch(() => (this.judge = undefined));
    }
    return this.judge;
  }

  override async validateBatch(
    items: (BlockItem & ValidatorFields)[],
    _options: Record<string, unknown> = {},
    span?: Span,
  ): Promise<Validation[]> {
    if (!items.length) return [];
    const judge = await this.child();
    const method = this.config.method;
    const requests = items.map((item) => {
      let prompt = this.promptOf(item);
      if (this.rubric) prompt = `${prompt}\n\n${rubricInstructions(this.rubric)}`;
      const { SRC_DATA, ...fields } = item;
      const row: Row = {
        ...SRC_DATA,
        input: method === "chat_completion" ? [{ role: "user", content: prompt }] : prompt,
      };
      delete row.gen_kwargs;
      if (fields.gen_kwargs !== undefined) row.gen_kwargs = fields.gen_kwargs;
      return row;
    });
    // One call for all rows: the provider spreads them over its concurrency limit.
    const answers = await judge.call(requests, { method }, span);
    return items.map((item, i) => {
      const answer = answers[i]!;
      if (
        typeof answer.error === "string" ||
        answer.result === null ||
        answer.result === undefined
      ) {
        return reject(`judge request failed: ${String(answer.error ?? "no result")}`, {
          judge_output: null,
          judge_error: answer.error ?? null,
        });
      }
      const text = resultText(Array.isArray(answer.result) ? answer.result[0] : answer.result);
      const func = item.success_func;
      if (typeof func === "function") return fromFunc(func as SuccessFunc, text);
      if (!this.rubric && !this.success) {
        throw new ConfigError(
          `block '${this.name}' (lm_judge): nothing decides whether the judge's answer passes`,
          {
            hint: "add rubric: {criteria, levels, min_score} or success: {regex: ...} / {min_score: ...} to the block config",
          },
        );
      }
      return parseVerdict(text, this.rubric, this.success);
    });
  }

  private promptOf(item: BlockItem): string {
    const template = this.config.prompt;
    if (!template) {
      if (typeof item.input === "string") return item.input;
      throw new ConfigError(
        `block '${this.name}' (lm_judge): the row has no text 'input' and the block has no 'prompt'`,
        {
          hint: "map a field to input (input_map: { text: input }) or give a prompt template with {{field}} placeholders",
        },
      );
    }
    return template.replace(/\{\{\s*([\w.[\]+:-]+)\s*\}\}/g, (all, path: string) => {
      const value = getPath(item.SRC_DATA, path, false);
      if (value === MISSING)
        throw new ConfigError(
          `block '${this.name}' (lm_judge): prompt placeholder ${all} names a field the row does not have`,
          { hint: `the row's fields: ${Object.keys(item.SRC_DATA).join(", ")}` },
        );
      return typeof value === "string" ? value : JSON.stringify(value);
    });
  }

  override async close(): Promise<void> {
    const judge = this.judge;
    this.judge = undefined;
    if (judge) await (await judge).close();
  }
}

function fromFunc(func: SuccessFunc, text: string): Validation {
  const v = func(text);
  if (typeof v === "boolean")
    return v
      ? { valid: true, metadata: { judge_output: text } }
      : reject("the judge's answer did not pass success_func", { judge_output: text });
  if (v && typeof v === "object" && typeof v.valid === "boolean")
    return {
      valid: v.valid,
      reason: v.reason ?? (v.valid ? undefined : "the judge's answer did not pass success_func"),
      metadata: { judge_output: text, ...(v.metadata ?? {}) },
    };
  throw new TypeError("success_func must return a boolean or { valid, reason?, metadata? }");
}
