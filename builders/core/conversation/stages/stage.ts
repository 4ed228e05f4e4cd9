import { type Block, ConfigError, type Logger, type Random, type Row } from "digit-sdg";
import type { z } from "zod";
import type { Conversation } from "../conversation.js";

/**
 * What a stage sees besides the conversations: ICL material, randomness, the task.
 *
 * @example
 * await stage.run(conversations, { seedData, rng, logger, taskName, loadRows })
 */
export interface StageContext {
  /** Seed (and earlier generated) conversations sampled once per builder call. */
  seedData: Row[];
  rng: Random;
  logger: Logger;
  taskName: string;
  /** Loads a datastore config (e.g. a persona store) into rows. */
  loadRows(config: Row): Promise<Row[]>;
}

/**
 * One step of the conversation pipeline. `run` receives every live conversation of a batch at
 * once and returns those that go on (fewer when some are dropped, more when a stage forks), so a
 * stage issues one block call for all of them and the provider's concurrency does the rest.
 *
 * @example
 * const echo: Stage = { name: "my/echo", run: async (convs) => convs };
 */
export interface Stage {
  readonly name: string;
  run(conversations: Conversation[], ctx: StageContext): Promise<Conversation[]>;
  /**
   * Work that needs the task ready (its tools loaded and enriched), done once by the builder
   * before the first batch, so what fails here fails before any conversation is generated.
   */
  prepare?(): Promise<void>;
}

/**
 * How a stage is declared: its name, its keyword arguments, the blocks it needs.
 *
 * @example
 * registerStage({ name: "my/echo", args: z.object({}), blocks: [], create: () => echo });
 */
export interface StageDefinition<A extends z.ZodObject = z.ZodObject> {
  name: string;
  /** Keyword arguments (besides `name`, `blocks` and block arguments), checked strictly. */
  args: A;
  /** Arguments that hold blocks, e.g. ["generator"]. */
  blocks: readonly string[];
  create(args: z.infer<A>, blocks: Record<string, Block>, extras: StageExtras): Stage;
}

/**
 * What a builder hands every stage of a task besides its YAML arguments (e.g. the task's tools);
 * the core conversation builder hands none.
 *
 * @example
 * createStage(entry, blocks, "task.yaml", { tools })
 */
export type StageExtras = Readonly<Record<string, unknown>>;

const STAGES = new Map<string, StageDefinition>();

/**
 * Make a stage available under `definition.name` for task YAML `*_stages` lists.
 *
 * @example
 * registerStage({ name: "my/echo", args: z.object({}), blocks: [], create: () => ({ name: "my/echo", run: async (c) => c }) });
 */
export function registerStage<A extends z.ZodObject>(definition: StageDefinition<A>): void {
  STAGES.set(definition.name, definition as unknown as StageDefinition);
}

/**
 * Every registered stage name, sorted.
 *
 * @example
 * stageNames() // ["lm/assistant/naive", "lm/flow_controller", ...]
 */
export function stageNames(): string[] {
  return [...STAGES.keys()].sort();
}

/**
 * Build a stage from its task YAML entry. Block arguments are resolved the DiGiT way: from a
 * `blocks: {arg: block}` mapping, from a string value naming a block (`generator: generator`), or,
 * when absent, from the builder block of the same name.
 *
 * @example
 * const stage = createStage({ name: "lm/assistant/naive", generator: "generator" }, blocks, "task.yaml");
 */
export function createStage(
  entry: Row,
  blocks: ReadonlyMap<string, Block>,
  where: string,
  extras: StageExtras = {},
): Stage {
  const name = String(entry.name);
  const def = STAGES.get(name);
  if (!def)
    throw new ConfigError(`${where}: stage '${name}' is not registered`, {
      hint: `available stages: ${stageNames().join(", ")}`,
    });
  const { name: _n, blocks: mapping, ...rest } = entry;
  const chosen: Record<string, Block> = {};
  const refs: Record<string, unknown> = { ...((mapping as Row | undefined) ?? {}) };
  for (const arg of def.blocks) {
    if (!(arg in refs) && arg in rest) refs[arg] = rest[arg];
    delete rest[arg];
  }
  const available = [...blocks.keys()];
  for (const arg of def.blocks) {
    const ref = refs[arg] ?? (blocks.has(arg) ? arg : undefined);
    if (typeof ref !== "string" || !blocks.has(ref)) {
      throw new ConfigError(
        `${where}: stage '${name}' references block '${String(ref ?? arg)}' (as '${arg}') which is not defined in the databuilder. Available blocks: [${available.join(", ")}]`,
        {
          hint: `set '${arg}' to one of the builder's blocks, e.g. ${arg}: ${available[0] ?? "generator"}`,
        },
      );
    }
    chosen[arg] = blocks.get(ref)!;
  }
  const parsed = def.args.strict().safeParse(rest);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(stage)"}: ${i.message}`)
      .join("; ");
    throw new ConfigError(`${where}: stage '${name}': ${issues}`, {
      hint: "check the stage's keys in docs/builders/core-conversation.md",
    });
  }
  return def.create(parsed.data, chosen, extras);
}
