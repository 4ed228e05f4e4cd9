import { z } from "zod";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockFields, BlockItem } from "../../block.js";
import { type Validation, ValidatorBlock, type validatorConfigSchema } from "../../validator.js";
import { checkToolCalls } from "./check.js";

const rowSchema = z.object({
  tools: z.array(z.record(z.string(), z.unknown())),
  answer: z.string(),
  question: z
    .string()
    .nullish()
    .transform((q) => q ?? ""),
  check_arg_question_overlap: z.boolean().default(true),
  require_nested: z.boolean().default(false),
  allow_nested: z.boolean().default(false),
  multi_output: z.boolean().default(false),
  validate_question: z.boolean().default(true),
  ignore_types: z
    .array(z.string())
    .nullish()
    .transform((t) => t ?? ["boolean"]),
});

/**
 * DiGiT's `tool_call_validator`: checks the tool calls in `answer` (JSON list of {name,
 * arguments, id?}) against `tools` and the `question` they answer. Reasons are DiGiT's
 * ("Hallucinated argument name", "Parameter validation error", ...). Row keys: tools, answer,
 * question, check_arg_question_overlap (true), require_nested, allow_nested, multi_output,
 * validate_question (true), ignore_types (["boolean"]).
 *
 * @example
 * - name: check_calls
 *   type: tool_call_validator
 *   filter: true
 */
@registerBlock("tool_call_validator")
export class ToolCallValidator extends ValidatorBlock<typeof validatorConfigSchema, Row> {
  static override fields: BlockFields | undefined = {
    required: ["tools", "answer"],
    optional: [
      "question",
      "check_arg_question_overlap",
      "require_nested",
      "allow_nested",
      "multi_output",
      "validate_question",
      "ignore_types",
    ],
  };

  override validate(item: BlockItem): Validation {
    const parsed = rowSchema.safeParse(item);
    if (!parsed.success)
      return {
        valid: false,
        reason: `Malformed input: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`,
      };
    const v = checkToolCalls(parsed.data);
    return { valid: v.valid, reason: v.reason, metadata: v.metadata };
  }
}
