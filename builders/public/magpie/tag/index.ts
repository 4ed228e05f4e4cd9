import {
  Block,
  type BlockItem,
  ConfigError,
  type Row,
  registerBlock,
  resultText,
  type Span,
  z,
} from "digit-sdg";
import { turnsOf } from "../shared/conversation.js";
import { cleanLabel, parseReply } from "./parse.js";
import { multiTurnPrompt, singleTurnPrompt } from "./prompts.js";

const TASKS = ["quality", "sample_quality", "difficulty", "classification"] as const;
type TagTask = (typeof TASKS)[number];
/** DiGiT's tasks when none are named (its `tag_task: all` reached the same default). */
const DEFAULT_TASKS: readonly TagTask[] = ["quality", "sample_quality", "difficulty"];

/** What each task's reply must hold, its allowed values, and the tag fields it fills. */
const SPEC: Record<
  TagTask,
  { key: string; allowed?: readonly string[]; tag: string; explanation?: string }
> = {
  quality: {
    key: "input_quality",
    allowed: ["very poor", "poor", "average", "good", "excellent"],
    tag: "input_quality",
    explanation: "input_quality_explanation",
  },
  sample_quality: {
    key: "score",
    allowed: ["1", "2", "3", "4", "5"],
    tag: "judge_quality_score",
    explanation: "judge_quality_explanation",
  },
  difficulty: {
    key: "difficulty",
    allowed: ["very easy", "easy", "medium", "hard", "very hard"],
    tag: "difficulty",
  },
  classification: { key: "primary_tag", tag: "task_category" },
};

const taskList = z.union([z.enum(TASKS), z.array(z.enum(TASKS)).min(1)]);
const settingsSchema = z.object({
  lm_config: z
    .looseObject({ type: z.string().min(1) })
    .describe("The tagging model: an LM block config (type, model_id_or_path, ...)"),
  tasks: z
    .array(z.enum(TASKS))
    .min(1)
    .optional()
    .describe("Tagging tasks: quality, sample_quality, difficulty, classification"),
  tag_task: z
    .union([z.literal("all"), taskList])
    .optional()
    .describe("DiGiT's spelling: 'all' (quality, sample_quality, difficulty) or task names"),
  method: z
    .enum(["completion", "chat_completion"])
    .default("completion")
    .describe("How the model is asked"),
});
type Settings = z.output<typeof settingsSchema>;

/**
 * `magpie_tag` (DiGiT's Magpie tagger): asks a model (`lm_config`) to rate each row and writes the
 * ratings to `magpie_tags`, each as `[{<model>: value}]` as DiGiT does: `quality` → `input_quality`
 * (very poor … excellent), `sample_quality` → `judge_quality_score` (1–5), `difficulty` →
 * `difficulty`, `intent`, `knowledge`, and `classification` → `task_category`. Rows are single
 * turn (`magpie_input`, `magpie_output`) or conversations (`magpie_mt_input`). A reply that cannot
 * be read leaves the tag null and records `<task>_err` and `<task>_raw` in `magpie_tags.metadata`.
 *
 * @example
 * - name: tagger
 *   type: magpie_tag
 *   input_map: { question: magpie_input, answer: magpie_output }
 *   lm_config: { type: ollama, model_id_or_path: granite4:3b, temperature: 0 }
 *   tag_task: all
 */
@registerBlock("magpie_tag")
export class MagpieTagger extends Block<typeof settingsSchema> {
  static override configSchema = settingsSchema;
  static override fields = {
    required: [],
    optional: ["magpie_input", "magpie_output", "magpie_mt_input", "magpie_tags"],
  };
  private readonly settings: Settings;
  private readonly tasks: readonly TagTask[];
  private lm: Promise<Block> | undefined;

  constructor(
    config: ConstructorParameters<typeof Block>[0],
    ctx?: ConstructorParameters<typeof Block>[1],
  ) {
    super(config, ctx);
    this.settings = this.config;
    const t = this.settings.tasks ?? this.settings.tag_task ?? "all";
    this.tasks = t === "all" ? DEFAULT_TASKS : typeof t === "string" ? [t] : [...new Set(t)];
  }

  /** The model is created now, so its credential limit holds from the run's first request. */
  override async open(): Promise<void> {
    await this.model();
  }

  private model(): Promise<Block> {
    if (!this.lm) {
      const create = this.ctx.createBlock;
      if (!create)
        throw new ConfigError(
          `block '${this.name}' (magpie_tag): nested blocks cannot be created here`,
        );
      this.lm = create({ name: `${this.name}.lm`, ...(this.settings.lm_config as Row) });
    }
    return this.lm;
  }

  protected async execute(items: BlockItem[], _options: Row, span?: Span): Promise<BlockItem[]> {
    const requests: Row[] = [];
    const chat = this.settings.method === "chat_completion";
    items.forEach((item, index) => {
      const tags: Row = isRow(item.magpie_tags) ? { ...item.magpie_tags } : {};
      tags.metadata = isRow(tags.metadata) ? { ...tags.metadata } : {};
      item.magpie_tags = tags;
      for (const task of this.tasks) {
        const prompt = this.promptFor(item, task);
        if (typeof prompt !== "string") {
          this.setError(tags, task, prompt.error, null);
          continue;
        }
        requests.push({
          input: chat ? [{ role: "user", content: prompt }] : prompt,
          task_name: item.SRC_DATA.task_name,
          tag_index: index,
          tag_task: task,
        });
      }
    });
    if (!requests.length) return items;
    const lm = await this.model();
    const answers = await lm.call(requests, { method: this.settings.method }, span);
    for (const a of answers) {
      const item = items[Number(a.tag_index)]!;
      const task = a.tag_task as TagTask;
      const tags = item.magpie_tags as Row;
      if (typeof a.error === "string" || a.result === null || a.result === undefined) {
        this.setError(tags, task, `request failed: ${String(a.error ?? "no result")}`, null);
        continue;
      }
      this.record(tags, task, resultText(Array.isArray(a.result) ? a.result[0] : a.result).trim());
    }
    return items;
  }

  private get modelName(): string {
    return String(this.settings.lm_config.model_id_or_path ?? this.settings.lm_config.type);
  }

  private promptFor(item: BlockItem, task: TagTask): string | { error: string } {
    const mt = item.magpie_mt_input;
    if (Array.isArray(mt) && mt.length) {
      const turns = turnsOf(mt);
      if (typeof turns === "string") return { error: turns };
      const spoken = turns.filter(
        (t) => t.text !== undefined && ["user", "assistant", "agent"].includes(t.role),
      );
      if (mt.length > 2 && (task === "quality" || task === "sample_quality")) {
        let u = 0;
        let r = 0;
        const text = spoken
          .map((t) =>
            t.role === "user"
              ? `\n### User ${++u}\n${t.text}\n`
              : `\n### Assistant ${++r}\n${t.text}\n`,
          )
          .join("");
        return multiTurnPrompt(task, text);
      }
      const users = spoken.filter((t) => t.role === "user").map((t) => t.text!);
      const replies = spoken.filter((t) => t.role !== "user").map((t) => t.text!);
      if (!users.length) return { error: "conversation has no user message" };
      if (users.length > 1 && users.length !== replies.length)
        return {
          error: `conversation has ${users.length} user and ${replies.length} assistant messages`,
        };
      return singleTurnPrompt(task, users[0]!, replies[0]);
    }
    if (typeof item.magpie_input !== "string")
      return {
        error: "row has neither magpie_input nor magpie_mt_input (check the block's input_map)",
      };
    return singleTurnPrompt(
      task,
      item.magpie_input,
      typeof item.magpie_output === "string" ? item.magpie_output : undefined,
    );
  }

  private record(tags: Row, task: TagTask, reply: string): void {
    const spec = SPEC[task];
    const parsed = parseReply(reply, spec.key);
    if (!parsed || !(spec.key in parsed)) {
      this.setError(tags, task, `no '${spec.key}' in the reply`, reply);
      return;
    }
    const raw = parsed[spec.key];
    const value = spec.allowed
      ? cleanLabel(raw, spec.allowed)
      : typeof raw === "string"
        ? raw
        : undefined;
    if (typeof value !== "string" || (task === "sample_quality" && !/^\d+$/.test(value))) {
      this.setError(tags, task, `unreadable '${spec.key}': ${JSON.stringify(raw)}`, reply);
      return;
    }
    const model = this.modelName;
    tags[spec.tag] = [{ [model]: value }];
    if (spec.explanation && parsed.explanation !== undefined)
      tags[spec.explanation] = [{ [model]: parsed.explanation }];
    if (task === "difficulty") {
      if (parsed.intent !== undefined) tags.intent = [{ [model]: parsed.intent }];
      if (parsed.knowledge !== undefined) tags.knowledge = [{ [model]: parsed.knowledge }];
    }
    (tags.metadata as Row).label_model = [model];
  }

  private setError(tags: Row, task: TagTask, error: string, reply: string | null): void {
    const meta = tags.metadata as Row;
    meta.label_model = [this.modelName];
    meta[`${task}_err`] = error;
    meta[`${task}_raw`] = reply;
    const spec = SPEC[task];
    tags[spec.tag] = null;
    if (spec.explanation) tags[spec.explanation] = null;
    if (task === "difficulty") {
      tags.intent = null;
      tags.knowledge = null;
    }
  }

  override async close(): Promise<void> {
    if (this.lm) await (await this.lm).close();
  }
}

function isRow(v: unknown): v is Row {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
