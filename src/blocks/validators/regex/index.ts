import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext, BlockFields, BlockItem } from "../../block.js";
import { type Validation, ValidatorBlock } from "../../validator.js";
import { checkFields, perFieldSchema, rulesOf } from "../fields.js";

const rule = z.strictObject({
  /** A JavaScript regular expression (no slashes). */
  pattern: z.string().describe("A JavaScript regular expression (no slashes)"),
  /** Regex flags, e.g. "i" (the "g" and "y" flags are not allowed: they make tests stateful). */
  flags: z
    .string()
    .regex(/^[imsuv]*$/, "allowed flags: i, m, s, u, v")
    .default("")
    .describe("Regex flags among i, m, s, u, v"),
  /** Require the whole value to match (default: the pattern may match anywhere). */
  full: z
    .boolean()
    .default(false)
    .describe("Require the whole value to match (else a match anywhere counts)"),
  /** Reject rows that DO match (e.g. refusals such as "as an AI"). */
  invert: z.boolean().default(false).describe("Reject rows that match instead"),
});
type Rule = z.output<typeof rule> & { re: RegExp };

/** The YAML keys of a `regex` block. */
const regexConfigSchema = perFieldSchema(rule);

/**
 * Checks fields against regular expressions (new in digit): a row passes when every field
 * matches (or, with `invert: true`, does not match).
 *
 * @example
 * - name: no_refusals
 *   type: regex
 *   filter: true
 *   fields:
 *     answer: { pattern: "as an ai (language )?model", flags: i, invert: true }
 *     question: { pattern: "\\?\\s*$" }
 */
@registerBlock("regex")
export class RegexValidator extends ValidatorBlock<typeof regexConfigSchema, Row> {
  /** Each row is judged on its own: postprocessing may stream through it. */
  static override rowwise = true;
  static override configSchema = regexConfigSchema;
  static override fields: BlockFields | undefined = { required: [], optional: ["input"] };
  private readonly rules: [string, Rule][];

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.rules = rulesOf(this.config, ["pattern", "flags", "full", "invert"], (raw, path) => {
      const parsed = rule.safeParse(raw);
      if (!parsed.success)
        throw new ConfigError(
          `block '${this.name}': regex rule for '${path}': ${parsed.error.issues[0]!.message} at '${parsed.error.issues[0]!.path.join(".")}'`,
          { hint: "each rule needs pattern: and may have flags:, full:, invert:" },
        );
      const r = parsed.data;
      try {
        return { ...r, re: new RegExp(r.full ? `^(?:${r.pattern})$` : r.pattern, r.flags) };
      } catch (e) {
        throw new ConfigError(
          `block '${this.name}': pattern for '${path}' is not a valid regular expression: ${(e as Error).message}`,
        );
      }
    });
  }

  override validate(item: BlockItem): Validation {
    return checkFields(item, this.rules, (value, r) => {
      const text = typeof value === "string" ? value : JSON.stringify(value);
      const matched = r.re.test(text);
      if (matched === !r.invert) return undefined;
      return r.invert
        ? `matches /${r.pattern}/${r.flags}, which is not allowed`
        : `does not match /${r.pattern}/${r.flags}${r.full ? " (whole value)" : ""}`;
    });
  }
}
