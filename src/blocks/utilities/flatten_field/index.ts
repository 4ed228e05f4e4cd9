import { registerBlock } from "../../../registry/decorators.js";
import { Block, type BlockFields, type BlockItem } from "../../block.js";

/**
 * Turns one row with a list into one row per element (DiGiT's `flatten_field`): `to_flatten`
 * names the list (a non-list counts as a one-element list), each output row gets one element as
 * `flattened`. An empty list yields no row.
 *
 * Unlike DiGiT, whose copies all shared (and overwrote) the caller's one row object, every
 * output row is its own deep copy of the caller's row.
 *
 * @example
 * - name: one_per_answer
 *   type: flatten_field
 *   input_map: { answers: to_flatten }
 *   output_map: { flattened: answer }
 */
@registerBlock("flatten_field")
export class FlattenField extends Block {
  /** Each row is handled on its own: postprocessing may stream through it. */
  static override rowwise = true;
  static override fields: BlockFields | undefined = {
    required: ["to_flatten"],
    optional: ["flattened"],
  };

  protected async execute(items: BlockItem[]): Promise<BlockItem[]> {
    const out: BlockItem[] = [];
    for (const item of items) {
      const list = Array.isArray(item.to_flatten) ? item.to_flatten : [item.to_flatten];
      for (const element of list) {
        const { SRC_DATA, ...fields } = item;
        out.push({
          ...structuredClone(fields),
          flattened: structuredClone(element),
          SRC_DATA: structuredClone(SRC_DATA),
        });
      }
    }
    return out;
  }
}
