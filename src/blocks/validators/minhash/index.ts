import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext, BlockItem } from "../../block.js";
import { type Validation, ValidatorBlock } from "../../validator.js";
import { distinctSorted, MinHashLsh, optimalBands } from "./lsh.js";
import { shingleHashes } from "./shingles.js";

const minhashConfigSchema = ValidatorBlock.configSchema.extend({
  threshold: z
    .number()
    .gt(0)
    .max(1)
    .default(0.8)
    .describe(
      "A row fails when its estimated Jaccard similarity with a row kept before it reaches this",
    ),
  shingle: z
    .enum(["word", "char"])
    .default("word")
    .describe(
      "Shingles: word n-grams (of ROUGE tokens) or character n-grams of the normalised text",
    ),
  ngram: z.number().int().min(1).max(64).default(3).describe("Words or characters per shingle"),
  num_perm: z
    .number()
    .int()
    .min(8)
    .max(1024)
    .default(128)
    .describe(
      "Hash functions (permutations) per signature: more estimate similarity closer, and cost time and memory",
    ),
  bands: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("LSH bands, at most num_perm (default: the best split for threshold)"),
  seed: z
    .union([z.number(), z.string()])
    .default(1)
    .describe("Seeds the permutations: the same seed gives the same decisions"),
});

/**
 * Removes near-duplicates by MinHash LSH (new in digit): a row fails when its estimated Jaccard
 * similarity with a row kept before it (same task) reaches `threshold`. Texts are shingled into
 * word or character n-grams after the ROUGE-L scorer's normalisation (NFC, lower case, tokens of
 * any script). Linear in the number of rows, unlike `rouge_scorer`, so it suits whole datasets.
 *
 * Deterministic: the permutations come from `seed`. Every removed row is written to
 * `blocks/<name>.jsonl` with `metadata.duplicate_of` (the id of the row it repeats) and
 * `metadata.similarity`. As a postprocessor its index is rebuilt from the task's accepted records
 * at every epoch, so an epoch after a resume decides exactly as an uninterrupted run; the index
 * takes at most `2 × num_perm + 20 × bands + 4` bytes per kept row (see `MinHashLsh`). As a builder step its index spans the
 * batches one process sees (use it as a postprocessor in distributed runs).
 *
 * @example
 * # builder YAML
 * blocks:
 *   - name: near_dupes
 *     type: minhash_dedup
 *     threshold: 0.8
 *     filter: true
 *     input_map: { question: input }
 * postprocessors:
 *   - name: near_dupes
 */
@registerBlock("minhash_dedup")
export class MinHashDedup extends ValidatorBlock<typeof minhashConfigSchema, { input: string }> {
  static override configSchema = minhashConfigSchema;
  /** Rows are judged one by one against the index: postprocessing may stream through it. */
  static override rowwise = true;
  private readonly bands: number;
  /** One index per task (by `task_name`). */
  private readonly indexes = new Map<string, { lsh: MinHashLsh; ids: unknown[] }>();

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    const { bands, num_perm: numPerm, threshold } = this.config;
    if (bands !== undefined && bands > numPerm) {
      throw new ConfigError(
        `block '${config.name}' (minhash_dedup): bands (${bands}) is more than num_perm (${numPerm})`,
        {
          hint: `use at most ${numPerm} bands, or leave bands out to have it chosen for the threshold`,
        },
      );
    }
    this.bands = bands ?? optimalBands(threshold, numPerm);
  }

  override startPass(taskName: string): void {
    this.indexes.delete(taskName);
  }

  override async validateBatch(
    items: (BlockItem<{ input: string }> & { is_valid?: boolean | null })[],
  ): Promise<Validation[]> {
    const { shingle, ngram, num_perm: numPerm, threshold, seed } = this.config;
    return items.map((item) => {
      const text = textOf(this.name, item.input);
      const scope = String(item.SRC_DATA.task_name ?? "");
      let index = this.indexes.get(scope);
      if (!index) {
        index = { lsh: new MinHashLsh({ numPerm, bands: this.bands, threshold, seed }), ids: [] };
        this.indexes.set(scope, index);
      }
      const shingles = distinctSorted(shingleHashes(text, shingle, ngram));
      // A text without a word has no shingle: it resembles nothing.
      if (shingles.length === 0) return true;
      const sig = index.lsh.signature(shingles);
      const match = index.lsh.best(sig, shingles);
      if (match) {
        const metadata: Row = { similarity: Math.round(match.similarity * 1000) / 1000 };
        const of = index.ids[match.index];
        if (of !== undefined) metadata.duplicate_of = of;
        return {
          valid: false,
          reason: `Estimated Jaccard similarity (${metadata.similarity}) with record ${String(of ?? "before it")} is equal or greater than threshold (${threshold})`,
          metadata,
        };
      }
      index.lsh.add(sig, shingles);
      index.ids.push(item.SRC_DATA.id);
      return true;
    });
  }
}

function textOf(block: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  throw new ConfigError(
    `block '${block}' (minhash_dedup): 'input' must be a string, got ${Array.isArray(value) ? "a list" : typeof value}`,
    {
      hint: "map a text field to it, e.g. input_map: { question: input }",
    },
  );
}
