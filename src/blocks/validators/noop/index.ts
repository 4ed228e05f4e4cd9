import { registerBlock } from "../../../registry/decorators.js";
import { type Validation, ValidatorBlock } from "../../validator.js";

/**
 * A validator that accepts every row (DiGiT's `noop`): a placeholder where a builder expects a
 * validator but the task needs none.
 *
 * @example
 * - name: val1
 *   type: noop
 */
@registerBlock("noop")
export class Noop extends ValidatorBlock {
  /** Each row is judged on its own: postprocessing may stream through it. */
  static override rowwise = true;
  override validate(): Validation {
    return true;
  }
}
