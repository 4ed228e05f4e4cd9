import { createHash } from "node:crypto";
import { Block, type BlockItem, ConfigError, type Row, registerBlock, z } from "digit-sdg";
import { embeddingsProviderSchema, embedTexts } from "../../../../src/tools/embeddings/client.js";
import { runEmbeddingsMeter } from "../../../../src/tools/embeddings/run-meter.js";
import { userText } from "../shared/conversation.js";
import { DEFAULT_EXACT_LIMIT, nearestNeighbours } from "./nearest.js";

const settingsSchema = z.object({
  embeddings: embeddingsProviderSchema
    .default({
      type: "ollama",
      base_url: "http://localhost:11434",
      batch_size: 128,
      timeout: 60,
      dimensions: 128,
    })
    .describe(
      "Where embeddings come from: {type: openai|ollama|mock, base_url, model_id_or_path, api_key}",
    ),
  sentence_model: z
    .string()
    .min(1)
    .default("all-minilm")
    .describe("Embeddings model (when embeddings.model_id_or_path is not set)"),
  distance_threshold: z
    .number()
    .min(0)
    .max(4)
    .default(0.05)
    .describe(
      "Squared-L2 distance between normalised embeddings at or below which two rows are duplicates",
    ),
  index_type: z
    .enum(["auto", "flat", "hnsw", "ivf"])
    .default("auto")
    .describe("auto: exact up to max_rows_cpu rows, else HNSW; flat: exact; hnsw/ivf: HNSW"),
  max_rows_cpu: z
    .number()
    .int()
    .min(0)
    .default(DEFAULT_EXACT_LIMIT)
    .describe("Most rows 'auto' compares exactly"),
  max_rows_gpu: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("DiGiT's GPU limit; accepted, not used (no GPU path)"),
  max_neighbors: z
    .number()
    .int()
    .min(1)
    .default(16)
    .describe("Neighbours the HNSW index returns per row"),
  search_space_size: z
    .number()
    .int()
    .optional()
    .describe("Accepted for DiGiT compatibility; unused there too"),
  search_batch_size: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Accepted for DiGiT compatibility"),
  encoding_batch_size: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe("Texts per embeddings request (default embeddings.batch_size)"),
});
type Settings = z.output<typeof settingsSchema>;

/**
 * `magpie_distance` (DiGiT's Magpie near-duplicate finder): embeds each row's user text
 * (`magpie_input`, or the user turns of `magpie_mt_input`) through an embeddings endpoint and
 * tags every row with `magpie_tags.min_similar_uuid` (the smallest `id` among it and its
 * near-duplicates), `repeat_count` (how many near-duplicates it has) and `min_neighbor_distance`
 * (squared-L2 distance to the closest one). `magpie_filter` then keeps one row per cluster. Rows
 * without an `id` get the MD5 of their text.
 *
 * @example
 * - name: dedup
 *   type: magpie_distance
 *   embeddings: { type: ollama, base_url: http://localhost:11434, model_id_or_path: all-minilm }
 *   input_map: { question: magpie_input, id: id, magpie_tags: magpie_tags }
 */
@registerBlock("magpie_distance")
export class MagpieDistance extends Block<typeof settingsSchema> {
  static override configSchema = settingsSchema;
  static override fields = {
    required: [],
    optional: ["magpie_input", "magpie_mt_input", "id", "magpie_tags"],
  };
  private readonly settings: Settings;

  constructor(
    config: ConstructorParameters<typeof Block>[0],
    ctx?: ConstructorParameters<typeof Block>[1],
  ) {
    super(config, ctx);
    this.settings = this.config;
  }

  protected async execute(items: BlockItem[]): Promise<BlockItem[]> {
    const texts: string[] = [];
    const rows: BlockItem[] = [];
    for (const item of items) {
      let text: string | undefined;
      try {
        text = userText(item);
      } catch (e) {
        throw new ConfigError(`block '${this.name}' (magpie_distance): ${(e as Error).message}`);
      }
      if (text === undefined) {
        throw new ConfigError(
          `block '${this.name}' (magpie_distance): a row has neither magpie_input nor magpie_mt_input`,
          {
            hint: "map the question field to magpie_input (input_map: { question: magpie_input }) or the messages to magpie_mt_input",
          },
        );
      }
      if (typeof item.id !== "string" || !item.id)
        item.id = createHash("md5").update(text).digest("hex");
      texts.push(text);
      rows.push(item);
    }
    if (!rows.length) return items;
    const s = this.settings;
    const provider = {
      ...s.embeddings,
      batch_size: s.encoding_batch_size ?? s.embeddings.batch_size,
    };
    const taskNames = [...new Set(rows.map((r) => r.SRC_DATA.task_name))].filter(
      (t): t is string => typeof t === "string" && t !== "",
    );
    const vectors = await embedTexts(
      provider,
      s.embeddings.model_id_or_path ?? s.sentence_model,
      texts,
      // The embeddings requests count in the run's metrics, cost and telemetry under this block.
      runEmbeddingsMeter(
        { observer: this.ctx.observer, telemetry: this.telemetry },
        taskNames,
        this.name,
      ),
    );
    const method = s.index_type === "auto" ? "auto" : s.index_type === "flat" ? "exact" : "hnsw";
    // Normalised vectors: squared-L2 distance d and cosine c relate as d = 2 - 2c.
    const found = nearestNeighbours(vectors, {
      threshold: 1 - s.distance_threshold / 2,
      method,
      exactLimit: s.max_rows_cpu,
      maxNeighbors: s.max_neighbors,
    });
    if (found.method === "hnsw" && rows.length > s.max_rows_cpu && s.index_type === "auto") {
      this.logger.info(
        `${rows.length} rows: approximate nearest-neighbour search (HNSW) instead of exact`,
      );
    }
    rows.forEach((item, i) => {
      const dups = found.duplicates[i]!;
      const ids = [String(item.id), ...dups.map((d) => String(rows[d.index]!.id))];
      const tags: Row = { ...(isRow(item.magpie_tags) ? item.magpie_tags : {}) };
      tags.min_neighbor_distance = dups.length
        ? 2 - 2 * Math.max(...dups.map((d) => d.similarity))
        : null;
      tags.repeat_count = dups.length;
      tags.min_similar_uuid = dups.length ? ids.sort()[0]! : null;
      item.magpie_tags = tags;
    });
    return items;
  }
}

function isRow(v: unknown): v is Row {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
