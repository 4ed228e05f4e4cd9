import { registerFormatter } from "../../../registry/decorators.js";
import { isObj, type Row } from "../../../util/mapping.js";
import { Formatter } from "../../formatter.js";

/**
 * Metadata keys the refusal builder uses internally; they never reach training data.
 *
 * @example
 * INTERNAL_METADATA_KEYS.includes("mode") // true
 */
export const INTERNAL_METADATA_KEYS = [
  "mode",
  "source",
  "rouge_score",
  "guardian_instruction",
  "guardian_response",
  "score",
  "reason",
] as const;

/**
 * DiGiT's `formatters/safety/refusal`: `{instruction, response, metadata}` from a safety refusal
 * record, with the builder's internal metadata keys removed.
 *
 * @example
 * formatter:
 *   type: formatters/safety/refusal
 */
@registerFormatter("formatters/safety/refusal")
export class SafetyRefusalFormatter extends Formatter {
  apply(row: Row): Row {
    const meta = isObj(row.metadata) ? { ...row.metadata } : {};
    for (const k of INTERNAL_METADATA_KEYS) delete meta[k];
    return {
      instruction: String(row.instruction ?? ""),
      response: String(row.response ?? ""),
      metadata: meta,
    };
  }
}
