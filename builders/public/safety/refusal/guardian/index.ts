import {
  type Block,
  type BlockItem,
  ConfigError,
  type Row,
  registerBlock,
  resultText,
  type Span,
  type Validation,
  ValidatorBlock,
  type ValidatorFields,
} from "digit-sdg";
import { z } from "zod";
import { guardianLabel } from "./parse.js";

/** The YAML keys of a `validators/granite_guardian` block. */
const guardianConfigSchema = ValidatorBlock.configSchema.extend({
  lm_config: z
    .looseObject({ type: z.string().min(1) })
    .describe("The guardian model: an LM block config (type, model_id_or_path, ...)"),
  model_version: z
    .union([z.string(), z.number()])
    .transform(String)
    .default("3.3")
    .describe("Accepted for DiGiT compatibility; digit does not use it"),
  criteria_id: z
    .string()
    .min(1)
    .default("harm")
    .describe("The risk the guardian rates (a row's own criteria_id wins)"),
  think: z
    .boolean()
    .default(false)
    .describe("Ask the guardian to reason before its verdict (sent as chat_template_kwargs.think)"),
});

/** The row a guardian reads. */
type GuardianRow = { input: string; response?: string; criteria_id?: string };

/**
 * `validators/granite_guardian`: asks a Granite Guardian model (`lm_config`) whether a user
 * request (`input`), or an assistant reply (`response`) to it, is risky under `criteria_id`
 * (default `harm`). All rows go in one batched chat call. A row is valid when the guardian rates it
 * safe; `metadata.label` is `unsafe`, `safe` or `unknown` (unreadable reply), so callers can keep
 * either side without counting unreadable replies as one.
 *
 * @example
 * - name: granite_guardian
 *   type: validators/granite_guardian
 *   filter: false
 *   lm_config: { type: openai, base_url: http://localhost:11434/v1, api_key: ollama, model_id_or_path: granite-guardian }
 */

@registerBlock("validators/granite_guardian")
export class GraniteGuardian extends ValidatorBlock<typeof guardianConfigSchema, GuardianRow> {
  static override configSchema = guardianConfigSchema;
  static override fields = { required: ["input"], optional: ["response", "criteria_id"] };

  private lm: Promise<Block> | undefined;

  /** The guardian model is created now, so its credential limit holds from the run's first request. */
  override async open(): Promise<void> {
    await this.judge();
  }

  private judge(): Promise<Block> {
    if (!this.lm) {
      const create = this.ctx.createBlock;
      if (!create)
        throw new ConfigError(`block '${this.name}': nested blocks cannot be created here`);
      this.lm = create({ name: `${this.name} (lm)`, ...this.config.lm_config });
    }
    return this.lm;
  }

  override async validateBatch(
    items: (BlockItem<GuardianRow> & ValidatorFields)[],
    _options: Row = {},
    span?: Span,
  ): Promise<Validation[]> {
    if (items.length === 0) return [];
    const lm = await this.judge();
    const { think } = this.config;
    const requests = items.map((item, i) => {
      const messages = [{ role: "user", content: String(item.input) }];
      if (item.response != null)
        messages.push({ role: "assistant", content: String(item.response) });
      const criteria = item.criteria_id ?? this.config.criteria_id;
      return {
        input: messages,
        gen_kwargs: {
          extra_body: {
            chat_template_kwargs: { guardian_config: { criteria_id: criteria }, think },
          },
        },
        task_name: item.SRC_DATA.task_name,
        guardian_index: i,
      };
    });
    const out = await lm.call(requests, { method: "chat_completion" }, span);
    const verdicts: Validation[] = items.map(() => ({
      valid: false,
      reason: "no answer from the guardian model",
      metadata: { label: "unknown" },
    }));
    for (const r of out) {
      const reply = r.error != null ? "" : resultText(r.result);
      const label = guardianLabel(reply);
      const metadata = { label, guardian_output: reply };
      verdicts[Number(r.guardian_index)] =
        label === "safe"
          ? { valid: true, metadata }
          : {
              valid: false,
              reason:
                label === "unsafe" ? "rated risky by the guardian" : "guardian reply has no score",
              metadata,
            };
    }
    return verdicts;
  }

  override async close(): Promise<void> {
    if (this.lm) await (await this.lm).close();
  }
}
