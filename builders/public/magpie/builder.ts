import { type Block, type Row, registerDataBuilder, TransformationDataBuilder } from "digit-sdg";
import "./tag/index.js";
import "./distance/index.js";
import "./filter/index.js";

/** Where the builder keeps each row's original fields while the blocks add theirs. */
const ORIGINAL = "__magpie_original";

/**
 * `magpie` (DiGiT's Magpie transformation): tags every input row with a model (`tagger`,
 * `magpie_tag`), marks near-duplicates by embedding distance (`dedup`, `magpie_distance`) and keeps
 * the well-rated, first-of-their-cluster rows (`filter`, `magpie_filter`). Each block is optional:
 * leave it out of the builder YAML to skip that step. Output records are the input row plus
 * `magpie_tags`. All input rows go to one call, so duplicates are found across the whole input.
 *
 * @example
 * # task.yaml
 * task_name: magpie
 * data_builder: magpie
 * data: { type: default, data_path: ${DGT_DATA_DIR}/public/magpie/data.jsonl }
 */
@registerDataBuilder("magpie")
export class MagpieBuilder extends TransformationDataBuilder {
  static override defaultRunnerConfig = { transform_batch_size: 1_000_000 };

  override instantiateInput(_task: unknown, row: Row): Row {
    const { is_seed: _s, id: _i, ...input } = row;
    return input;
  }

  async call(batch: Row[]): Promise<Row[]> {
    // Blocks write their fields into the rows they are given, so they get copies and the
    // original fields are rebuilt after each step (DiGiT's builder does the same).
    let rows: Row[] = batch.map((row) => ({ ...row, [ORIGINAL]: row }));
    const step = async (block: Block | undefined, keep: readonly string[]) => {
      if (!block) return;
      const out = await block.call(rows);
      rows = out.map((r) => {
        const original = r[ORIGINAL] as Row;
        const next: Row = { ...original, [ORIGINAL]: original };
        for (const k of keep) if (r[k] !== undefined) next[k] = r[k];
        return next;
      });
    };
    await step(this.optionalBlock("tagger"), ["magpie_tags", "id"]);
    await step(this.optionalBlock("dedup"), ["magpie_tags", "id"]);
    await step(this.optionalBlock("filter"), ["magpie_tags"]);
    return rows.map((r) => {
      const { [ORIGINAL]: _o, id: _id, ...record } = r;
      return { ...record, is_seed: false, magpie_tags: r.magpie_tags ?? null };
    });
  }
}
