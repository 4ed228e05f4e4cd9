import { createHash } from "node:crypto";
import {
  ConfigError,
  createDatastore,
  DRAW_KEY,
  GenerationDataBuilder,
  type GenerationTask,
  type InputBatch,
  type Registry,
  type Row,
  registerDataBuilder,
  type Task,
} from "digit-sdg";
import { z } from "zod";
import { parseWith } from "../../../src/config/zod-errors.js";
import { toolsSectionSchema } from "../../../src/tools/config.js";
import { TaskToolSets } from "../../../src/tools/tool-sets.js";
import { blankConversation, CONVERSATION_FIELDS, type Conversation } from "./conversation.js";
import { checkStageTools } from "./stage-tools.js";
import {
  createStage,
  type StageContext,
  type StageExtras,
  stageNames,
  terminates,
} from "./stages/index.js";
import { type Pipeline, runConversations } from "./turns.js";

/**
 * Default `seed_batch_size` of conversation tasks (blank conversations per batch).
 *
 * @example
 * blanks = Array.from({ length: DEFAULT_CONVERSATIONS_PER_BATCH }, () => blankConversation(task))
 */
export const DEFAULT_CONVERSATIONS_PER_BATCH = 8;

const stageEntry = z.looseObject({ name: z.string().min(1) }).superRefine((e, ctx) => {
  if (!stageNames().includes(e.name))
    ctx.addIssue({
      code: "custom",
      path: ["name"],
      message: `stage '${e.name}' is not registered (available: ${stageNames().join(", ")})`,
    });
});

/**
 * Task YAML keys of conversation tasks (DiGiT's ConversationTask).
 *
 * @example
 * z.object(conversationTaskShape).parse({ max_turns: 4, min_turns: 2 })
 */
export const conversationTaskShape = {
  max_turns: z
    .number()
    .int()
    .min(1, "max_turns must be at least 1")
    .default(10)
    .describe("Most turns a conversation may have"),
  min_turns: z
    .number()
    .int()
    .min(1, "min_turns must be at least 1")
    .default(1)
    .describe("Turns a conversation must have completed to be kept when it ends early"),
  initialization_stages: z
    .array(stageEntry)
    .default([])
    .describe("Stages run once when a conversation starts, each {name, ...its options}"),
  iteration_stages: z.array(stageEntry).default([]).describe("Stages run on every turn, in order"),
  termination_stages: z
    .array(stageEntry)
    .default([])
    .describe("Stages run over the kept conversations after the last turn"),
  tools: toolsSectionSchema.optional().describe("Tools the stages may call (see docs/tools.md)"),
};

/**
 * DiGiT's `core/conversation`: multi-turn conversations built by stages named in the task YAML
 * (initialization, then per turn the iteration stages, then termination). Each batch is
 * `seed_batch_size` (default 8) blank conversations; they advance together, so every stage sends
 * one block call with a request per live conversation and the provider's concurrency limit decides
 * how many run at once. Seeds are in-context material for stages (`sample_examples`).
 *
 * @example
 * # task.yaml
 * data_builder: core/conversation
 * max_turns: 4
 * iteration_stages:
 *   - { name: lm/user/guided, generator: generator }
 *   - { name: lm/assistant/naive, generator: generator }
 */
@registerDataBuilder("core/conversation")
export class ConversationDataBuilder extends GenerationDataBuilder {
  static override blockNames: readonly string[] = [];
  static override outputFields: readonly string[] = [...CONVERSATION_FIELDS];
  static override taskSchema = z.object(conversationTaskShape);

  private readonly pipelines = new Map<string, Pipeline>();
  /** Tool names of `lm/assistant/tools` stages, checked while the run is planned. */
  static override async checkTask(
    spec: Row,
    file: string | undefined,
    _config: Row,
    registry?: Registry,
  ): Promise<void> {
    await checkStageTools(spec, file, registry);
  }

  /** Tools of the tasks that have a `tools:` section. */
  protected readonly toolSets = new TaskToolSets(this);

  override instantiateInput(_task: Task, row: Row): Row {
    return {
      conversation_id: row.conversation_id ?? null,
      steps: Array.isArray(row.steps) ? row.steps : [],
      branch_point: row.branch_point ?? null,
      outcome_reward: row.outcome_reward ?? null,
      outcome_reward_breakdown: row.outcome_reward_breakdown ?? {},
    };
  }

  /** Build every task's stages before the first batch, so configuration errors surface at once. */
  override async setup(): Promise<void> {
    for (const t of this.tasks) {
      const min = Number(t.spec.min_turns ?? 1);
      const max = Number(t.spec.max_turns ?? 10);
      if (min > max)
        throw new ConfigError(
          `task '${t.name}': min_turns (${min}) is larger than max_turns (${max})`,
          { file: t.file, hint: "make min_turns ≤ max_turns" },
        );
      const extras = await this.stageExtras(t);
      const build = (key: string) =>
        ((t.spec[key] as Row[] | undefined) ?? []).map((e, i) =>
          createStage(e, this.blocks, `task '${t.name}' ${key}[${i}]`, extras),
        );
      const pipeline = {
        initialization: build("initialization_stages"),
        iteration: build("iteration_stages"),
        termination: build("termination_stages"),
      };
      for (const s of [...pipeline.initialization, ...pipeline.iteration, ...pipeline.termination])
        await s.prepare?.();
      this.pipelines.set(t.name, pipeline);
    }
  }

  /**
   * What every stage of a task receives besides its YAML arguments: the task's tools (`tools`)
   * when it has a `tools:` section. Subclasses add their own.
   */
  protected async stageExtras(task: Task): Promise<StageExtras> {
    const section = parseWith(
      z.object({ tools: toolsSectionSchema.optional() }),
      { tools: task.spec.tools },
      `task '${task.name}'`,
      task.file,
    ).tools;
    return section ? { tools: await this.toolSets.build(task, section) } : {};
  }

  override async close(): Promise<void> {
    await this.toolSets.close();
    await super.close();
  }

  /** Blank conversations: the seed loader is not used (seeds are ICL material only). */
  override async nextBatch(task: GenerationTask): Promise<InputBatch> {
    const keys = task.drawKeys(conversationsPerBatch(task));
    // Ids from the draw keys too, so a seeded run names its conversations alike.
    return {
      rows: keys.map((key) => ({
        ...blankConversation(task.name),
        conversation_id: idFromKey(key),
        [DRAW_KEY]: key,
      })),
      position: { iter_index: task.checkpoint.iter_index, row_index: task.checkpoint.row_index },
    };
  }

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    const byTask = new Map<string, Conversation[]>();
    for (const r of batch) {
      const c = r as Conversation;
      if (!byTask.has(c.task_name)) byTask.set(c.task_name, []);
      byTask.get(c.task_name)!.push(c);
    }
    const results = await Promise.all(
      [...byTask].map(async ([name, convs]) => {
        const task = this.task<GenerationTask>(name);
        const pipeline = this.pipelines.get(name);
        if (!task || !pipeline) return [] as Conversation[];
        const k = conversationsPerBatch(task);
        const fraction = k + task.machineBatchSize === 0 ? 0 : k / (k + task.machineBatchSize);
        // Examples and draws come from the batch's draw key, so they repeat with the seed.
        const seedData = await task.sampleExamples(k, fraction, convs[0]);
        const ctx: StageContext = {
          seedData,
          rng: convs[0] ? this.rngFor(convs[0], "conversation") : this.rng,
          logger: this.logger,
          taskName: name,
          loadRows: (cfg) => loadRows(task, cfg),
        };
        return runConversations(
          convs,
          pipeline,
          ctx,
          {
            minTurns: Number(task.spec.min_turns ?? 1),
            maxTurns: Number(task.spec.max_turns ?? 10),
            onEnd: (c, outcome, reason) =>
              this.telemetry.event(
                outcome === "completed" ? "conversation_completed" : "conversation_dropped",
                { task_name: name, conversation_id: c.conversation_id, reason },
              ),
          },
          terminates,
        );
      }),
    );
    for (const c of batch)
      if (typeof c.conversation_id === "string")
        await this.toolSets.teardown(String(c.task_name), c.conversation_id);
    return results.flat().map((c) => ({ ...c, is_seed: false }));
  }
}

/**
 * Blank conversations per batch: `seed_batch_size` when given, else 8 (DiGiT's ConversationTask default).
 *
 * @example
 * conversationsPerBatch(task) // 8 unless runner_config.seed_batch_size is set
 */
export function conversationsPerBatch(task: GenerationTask): number {
  return task.runnerConfig.seed_batch_size ?? DEFAULT_CONVERSATIONS_PER_BATCH;
}

/** Read all rows of a datastore config with the task's registry (the builder has none of its own). */
async function loadRows(task: Task, config: Row): Promise<Row[]> {
  const registry = (task as unknown as { init: { registry: Registry } }).init.registry;
  const store = await createDatastore(registry, {
    type: "default",
    ...config,
    store_name: `${task.storeName}/persona_data`,
  });
  return store.readAll();
}

/** A UUID-shaped id hashed from a draw key. */
function idFromKey(key: string): string {
  const h = createHash("sha256").update(key).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
