import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext, BlockFields, BlockItem } from "../../block.js";
import { type Validation, ValidatorBlock } from "../../validator.js";
import { checkFields, perFieldSchema, rulesOf } from "../fields.js";
import { tokenize } from "../rouge/tokenize.js";

const rule = z.strictObject({
  min: z.number().int().min(0).optional().describe("Fewest units a value may have"),
  max: z.number().int().min(0).optional().describe("Most units a value may have"),
  /** chars: Unicode characters; words: whitespace-separated; tokens: the ROUGE tokeniser's tokens. Lists count elements. */
  unit: z
    .enum(["chars", "words", "tokens"])
    .default("chars")
    .describe("What is counted (a list counts its elements)"),
});
type Rule = z.output<typeof rule>;

/**
 * The length of a value in `unit`: a list counts its elements, anything else its text.
 *
 * @example
 * lengthOf("two words", "words") // 2
 */
export function lengthOf(value: unknown, unit: Rule["unit"]): number {
  if (Array.isArray(value)) return value.length;
  const text = typeof value === "string" ? value : value === null ? "" : JSON.stringify(value);
  if (unit === "words") return (text.match(/\S+/g) ?? []).length;
  if (unit === "tokens") return tokenize(text).length;
  return [...text].length;
}

/** The YAML keys of a `length` block. */
const lengthConfigSchema = perFieldSchema(rule);

/**
 * Rejects rows whose fields are too short or too long (new in digit). Bounds are inclusive.
 *
 * @example
 * - name: sane_length
 *   type: length
 *   filter: true
 *   fields:
 *     question: { min: 10, max: 300 }
 *     answer: { min: 1, unit: words }
 * # or, for one field: input_map: { answer: input }, min: 1, max: 200
 */
@registerBlock("length")
export class LengthValidator extends ValidatorBlock<typeof lengthConfigSchema, Row> {
  /** Each row is judged on its own: postprocessing may stream through it. */
  static override rowwise = true;
  static override configSchema = lengthConfigSchema;
  static override fields: BlockFields | undefined = { required: [], optional: ["input"] };
  private readonly rules: [string, Rule][];

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.rules = rulesOf(this.config, ["min", "max", "unit"], (raw, path) => {
      const r = rule.parse(raw);
      if (r.min === undefined && r.max === undefined)
        throw new ConfigError(
          `block '${this.name}': length rule for '${path}' has neither min nor max`,
          { hint: "add min: and/or max:" },
        );
      if (r.min !== undefined && r.max !== undefined && r.min > r.max)
        throw new ConfigError(
          `block '${this.name}': length rule for '${path}' has min ${r.min} > max ${r.max}`,
        );
      return r;
    });
  }

  override validate(item: BlockItem): Validation {
    return checkFields(item, this.rules, (value, r) => {
      const n = lengthOf(value, r.unit);
      const unit = Array.isArray(value) ? "items" : r.unit;
      if (r.min !== undefined && n < r.min)
        return { reason: `${n} ${unit}, fewer than min ${r.min}`, metadata: { length: n } };
      if (r.max !== undefined && n > r.max)
        return { reason: `${n} ${unit}, more than max ${r.max}`, metadata: { length: n } };
      return undefined;
    });
  }
}
