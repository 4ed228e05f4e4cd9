import {
  type BlockItem,
  ok,
  type Row,
  registerBlock,
  reject,
  type Validation,
  ValidatorBlock,
  z,
} from "digit-sdg";
import { turnsOf } from "../shared/conversation.js";

const QUALITY = ["very poor", "poor", "average", "good", "excellent"];
const DIFFICULTY = ["very easy", "easy", "medium", "hard", "very hard"];
const SCORES = ["1", "2", "3", "4", "5"];
const FILTER_TYPES = ["all", "invalid_scores", "high_quality_filter"] as const;
const labels = z.array(z.union([z.string(), z.number()]).transform(String));

const filterConfigSchema = ValidatorBlock.configSchema.extend({
  filter_type: z
    .union([z.enum(FILTER_TYPES), z.array(z.enum(FILTER_TYPES))])
    .default("all")
    .describe(
      "invalid_scores: reject unreadable tags; high_quality_filter: apply filter_criteria and duplicates; all: both",
    ),
  filter_criteria: z
    .object({
      input_quality: labels.optional(),
      sample_quality: labels.optional(),
      difficulty: labels.optional(),
    })
    .strict()
    .nullish()
    .describe(
      "Accepted tag values: input_quality (default good, excellent), sample_quality (default 5), difficulty (default any)",
    ),
  remove_duplicates: z
    .boolean()
    .nullish()
    .default(true)
    .describe("Reject rows whose min_similar_uuid names another row"),
});
type Settings = z.output<typeof filterConfigSchema>;

/**
 * `magpie_filter` (DiGiT's Magpie filter): judges rows by the tags `magpie_tag` and
 * `magpie_distance` wrote (read as `field`). A row fails when its data is unusable (no input, a
 * conversation without user turns or with unknown roles), when a tag is unreadable
 * (`invalid_scores`), when a tag is outside `filter_criteria`, or when it is a near-duplicate of a
 * row with a smaller id (`high_quality_filter`). Tags may be plain values or DiGiT's per-model
 * lists (`[{model: value}]`, the first model counts).
 *
 * @example
 * - name: filter
 *   type: magpie_filter
 *   filter: true
 *   filter_type: all
 *   filter_criteria: { input_quality: [good, excellent], sample_quality: ["4", "5"] }
 *   input_map: { question: magpie_input, answer: magpie_output, magpie_tags: field, id: id }
 */
@registerBlock("magpie_filter")
export class MagpieFilter extends ValidatorBlock<typeof filterConfigSchema, Row> {
  static override configSchema = filterConfigSchema;
  static override fields = {
    required: [],
    optional: ["field", "id", "magpie_input", "magpie_output", "magpie_mt_input"],
  };
  private readonly settings: Settings;
  private readonly types: ReadonlySet<string>;

  constructor(
    config: ConstructorParameters<typeof ValidatorBlock>[0],
    ctx?: ConstructorParameters<typeof ValidatorBlock>[1],
  ) {
    super(config, ctx);
    this.settings = this.config;
    const t = this.settings.filter_type;
    this.types = new Set(Array.isArray(t) ? t : [t]);
  }

  override validate(item: BlockItem): Validation {
    const tags = flatTags(item.field);
    const dataProblem = invalidData(item);
    if (dataProblem) return reject(dataProblem);
    const types = this.types;
    if (types.has("all") || types.has("invalid_scores")) {
      const problem = invalidScore(tags);
      if (problem) return reject(problem);
    }
    if (types.has("all") || types.has("high_quality_filter")) {
      const problem = unqualified(tags, item.id, this.settings);
      if (problem) return reject(problem);
    }
    return ok();
  }
}

/** The tags with each per-model list reduced to its first model's value. */
function flatTags(field: unknown): Row {
  if (typeof field !== "object" || field === null || Array.isArray(field)) return {};
  const out: Row = { ...(field as Row) };
  for (const key of ["input_quality", "difficulty", "judge_quality_score", "task_category"]) {
    const v = out[key];
    if (Array.isArray(v) && v.length) {
      const first = v[0];
      out[key] =
        typeof first === "object" && first !== null ? Object.values(first as Row).at(-1) : first;
    }
  }
  return out;
}

function invalidData(item: BlockItem): string | undefined {
  const mt = item.magpie_mt_input;
  if (!item.magpie_input && !(Array.isArray(mt) && mt.length))
    return 'Either "magpie_input" or "magpie_mt_input" field must be specified.';
  if (!Array.isArray(mt) || !mt.length) return undefined;
  const turns = turnsOf(mt);
  if (typeof turns === "string") return turns;
  let user = 0;
  let assistant = 0;
  for (const t of turns) {
    if (t.text === undefined)
      return "a message has no text: give it a 'value', 'content' or 'text' field";
    if (t.role === "user") user += t.text.length > 0 ? 1 : 0;
    else if (t.role === "assistant" || t.role === "agent") assistant += t.text.length > 0 ? 1 : 0;
    else if (!["system", "developer", "tool"].includes(t.role))
      return `unsupported role '${t.role}' (allowed: user, assistant, agent, system, developer, tool)`;
  }
  if (user < 1) return "No user utterance[s]";
  if (user > 1 && user !== assistant)
    return `Mismatched number of user utterances (${user}) and assistant utterances (${assistant})`;
  return undefined;
}

function invalidScore(tags: Row): string | undefined {
  if ("input_quality" in tags && !QUALITY.includes(tags.input_quality as string))
    return `Invalid value: ${String(tags.input_quality)} for "input_quality" score`;
  if ("difficulty" in tags && !DIFFICULTY.includes(tags.difficulty as string))
    return `Invalid value: ${String(tags.difficulty)} for "difficulty" score`;
  if ("judge_quality_score" in tags && !SCORES.includes(tags.judge_quality_score as string))
    return `Invalid value: ${String(tags.judge_quality_score)} for "judge_quality_score" score`;
  return undefined;
}

function unqualified(tags: Row, id: unknown, s: Settings): string | undefined {
  const c = s.filter_criteria ?? {};
  const quality = c.input_quality ?? ["good", "excellent"];
  const sample = c.sample_quality ?? ["5"];
  const difficulty = c.difficulty ?? DIFFICULTY;
  if ("input_quality" in tags && !quality.includes(tags.input_quality as string))
    return "Failed to meet input quality requirements";
  if ("judge_quality_score" in tags && !sample.includes(tags.judge_quality_score as string))
    return "Failed to meet judge quality requirements";
  if ("difficulty" in tags && !difficulty.includes(tags.difficulty as string))
    return "Failed to meet difficulty requirements";
  const canonical = tags.min_similar_uuid;
  if (
    s.remove_duplicates !== false &&
    canonical !== null &&
    canonical !== undefined &&
    canonical !== id
  )
    return "Duplicate instance";
  return undefined;
}
