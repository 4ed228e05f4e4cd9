import { type Block, ConfigError, DRAW_KEY, type Row } from "digit-sdg";
import type { TaskTools } from "../../../../../../src/tools/build.js";
import { lmCandidates } from "../../../../../../src/tools/lm-candidates.js";
import {
  type Conversation,
  lastStep,
  text,
} from "../../../../../core/conversation/conversation.js";
import type { StageExtras } from "../../../../../core/conversation/stages/index.js";

/**
 * What the builder hands every tool-calling stage: the task's tools and its plan settings.
 *
 * @example
 * const { tools, has_nested } = toolExtras(extras, "tool_calling/multi_turn/stages/planner");
 */
export interface ToolStageExtras {
  tools: TaskTools;
  /** The task file (configuration errors name it). */
  file: string | undefined;
  has_nested: boolean;
  separate_context: boolean;
  min_plan_length: number;
  max_plan_length: number;
}

/**
 * The tool extras, or a ConfigError when the stage runs outside this builder.
 *
 * @example
 * const x = toolExtras(extras, "tool_calling/multi_turn/stages/execute");
 */
export function toolExtras(extras: StageExtras, stage: string): ToolStageExtras {
  const x = extras.toolCalling as ToolStageExtras | undefined;
  if (!x)
    throw new ConfigError(
      `stage '${stage}' needs a task with a 'tools:' section run by data_builder tool_calling/multi_turn/stateless`,
    );
  return x;
}

/**
 * One LM request of a stage for one conversation, with the well-formed answer the mock uses.
 *
 * @example
 * const r: StageAsk = { system: "...", user: "...", example: "<summary>ok</summary>" };
 */
export interface StageAsk {
  system: string;
  user?: string;
  /** Dialogue messages between system and user (error hints). */
  dialogue?: { role: string; content: string }[];
  example: string;
  gen_kwargs?: Row;
}

/**
 * Send one request per conversation in one block call; every candidate reply of each.
 *
 * @example
 * const replies = await askAll(generator, convs, (c) => ({ system, user, example }));
 */
export async function askAll(
  lm: Block,
  convs: Conversation[],
  make: (c: Conversation, i: number) => StageAsk | undefined,
): Promise<string[][]> {
  const asks = convs.map(make);
  const idx = asks.map((a, i) => (a ? i : -1)).filter((i) => i >= 0);
  const out = await lmCandidates(
    lm,
    idx.map((i) => {
      const a = asks[i]!;
      const c = convs[i]!;
      const messages = [
        { role: "system", content: a.system },
        ...(a.dialogue ?? []),
        ...(a.user !== undefined ? [{ role: "user", content: a.user }] : []),
      ];
      return {
        messages,
        ...(a.gen_kwargs ? { gen_kwargs: a.gen_kwargs } : {}),
        row: {
          task_name: c.task_name,
          ...(typeof c[DRAW_KEY] === "string" ? { [DRAW_KEY]: c[DRAW_KEY] } : {}),
          example_answer: a.example,
        },
      };
    }),
  );
  const all: string[][] = convs.map(() => []);
  for (const [k, i] of idx.entries()) all[i] = out[k] ?? [];
  return all;
}

/**
 * The persona text of a conversation ("" without a persona step).
 *
 * @example
 * personaText(conversation) // "Role: nurse\n..."
 */
export function personaText(c: Conversation): string {
  const p = lastStep(c, "persona");
  return p ? text(p.content) : "";
}
