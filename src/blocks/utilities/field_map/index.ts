import { z } from "zod";
import { DigitError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import { getPath, KeyError, MISSING, setPath } from "../../../util/paths.js";
import { Block, type BlockItem } from "../../block.js";

/**
 * A `field_map` source path is not in a row.
 *
 * @example
 * throw new FieldMapSourceError("rename", "question", Object.keys(row));
 */
export class FieldMapSourceError extends DigitError {
  constructor(block: string, source: string, keys: string[]) {
    super(
      "DIGIT_FIELD_MAP_SOURCE",
      `block '${block}' (field_map): the row has no field '${source}' (its keys: ${keys.join(", ") || "none"})`,
      {
        hint: "fix the source path in field_map, or make the previous step produce that field",
      },
    );
  }
}

/** The YAML keys of a `field_map` block. */
const fieldMapConfigSchema = z.object({
  field_map: z
    .record(z.string(), z.string())
    .describe("{source: target}: copy each source field (dot paths allowed) to its target"),
});

/**
 * Copies fields within each row (DiGiT's `field_map`): `field_map: {source: target}`, with dot
 * paths and list indices on both sides. All sources are read before any target is written, so
 * `{a: b, b: c}` puts the old `b` into `c`. Sources are kept. A call-time `field_map` option
 * replaces the configured one (DiGiT accepted it and ignored it).
 *
 * Unlike DiGiT (whose dict-mode echo dropped new keys unless the row already had them), targets
 * are always written to the caller's row.
 *
 * @example
 * - name: rename
 *   type: field_map
 *   field_map: { question: input, "answer.text": output, "docs[0]": first_doc }
 */
@registerBlock("field_map")
export class FieldMap extends Block<typeof fieldMapConfigSchema> {
  /** Each row is handled on its own: postprocessing may stream through it. */
  static override rowwise = true;
  static override configSchema = fieldMapConfigSchema;

  protected async execute(items: BlockItem[], options: Row): Promise<BlockItem[]> {
    const map = options.field_map ?? this.config.field_map;
    if (typeof map !== "object" || map === null || Array.isArray(map))
      throw new DigitError(
        "DIGIT_FIELD_MAP_INVALID",
        `block '${this.name}': field_map must be a mapping {source: target}`,
      );
    for (const item of items) {
      const snapshot = Object.entries(map).map(([source, target]) => {
        let value: unknown;
        try {
          value = getPath(item.SRC_DATA, source, false);
        } catch (e) {
          if (e instanceof KeyError || e instanceof TypeError) value = MISSING;
          else throw e;
        }
        if (value === MISSING)
          throw new FieldMapSourceError(this.name, source, Object.keys(item.SRC_DATA));
        return [target, value] as const;
      });
      for (const [target, value] of snapshot) setPath(item.SRC_DATA, target, value);
    }
    return items;
  }

  override transformOutput(item: BlockItem, outputMap?: Record<string, string>): Row {
    // Targets were written straight into the caller's row; echo only what output_map asks for.
    const src = item.SRC_DATA;
    if (outputMap)
      for (const [from, to] of Object.entries(outputMap))
        setPath(src, to, getPath(src, from, true));
    return src;
  }
}
