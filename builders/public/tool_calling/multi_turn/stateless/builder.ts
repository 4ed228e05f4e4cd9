import { registerDataBuilder, type Task } from "digit-sdg";
import { z } from "zod";
import { parseWith } from "../../../../../src/config/zod-errors.js";
import { ConfigError } from "../../../../../src/errors.js";
import type { TaskTools } from "../../../../../src/tools/build.js";
import { toolsSectionSchema } from "../../../../../src/tools/config.js";
import {
  ConversationDataBuilder,
  conversationTaskShape,
} from "../../../../core/conversation/builder.js";
import type { StageExtras } from "../../../../core/conversation/stages/index.js";
import type { ToolStageExtras } from "./stages/common.js";
import "./stages/index.js";

/**
 * Task keys of tool-calling tasks besides the conversation ones (DiGiT's
 * ConversationToolCallingStatelessTask).
 *
 * @example
 * z.object(toolCallingTaskShape).parse({ has_nested: true })
 */
export const toolCallingTaskShape = {
  has_nested: z
    .boolean()
    .default(false)
    .describe("Plans chain calls: later calls take earlier outputs"),
  separate_context: z
    .boolean()
    .default(true)
    .describe("Some calls run behind the scenes: the user never asks for them"),
  min_plan_length: z.number().int().min(1).default(1).describe("Fewest calls in a turn's plan"),
  max_plan_length: z.number().int().min(1).default(8).describe("Most calls in a turn's plan"),
};

const taskSchema = z.object({ ...conversationTaskShape, ...toolCallingTaskShape });

/**
 * DiGiT's `tool_calling/multi_turn/stateless`: multi-turn tool-calling conversations. Each
 * conversation gets a persona and a set of tools (scenario_generator with a tool sampler); each
 * turn plans a chain of calls (planner), writes the user request behind it (user), checks that
 * the request leads back to those calls (verifier), runs them through the task's tool engines
 * (execute) and lets the assistant sum up (summarize); kept conversations are judged (filter)
 * and taught to recover from wrong calls (error_hint). Tools, engines and enrichments come from
 * the task's `tools:` section, built once per task before the first batch.
 *
 * @example
 * # task.yaml
 * data_builder: tool_calling/multi_turn/stateless
 * tools: { registry: [{ type: file, path: tools.yaml, namespace: shop, engine: sim }],
 *          engines: { sim: { type: lm, lm_config: { type: ollama, model_id_or_path: granite4:3b } } } }
 */
@registerDataBuilder("tool_calling/multi_turn/stateless")
export class ToolCallingDataBuilder extends ConversationDataBuilder {
  static override taskSchema = taskSchema;

  protected override async stageExtras(task: Task): Promise<StageExtras> {
    const spec = parseWith(
      taskSchema.pick({
        has_nested: true,
        separate_context: true,
        min_plan_length: true,
        max_plan_length: true,
      }),
      task.spec,
      `task '${task.name}'`,
      task.file,
    );
    if (spec.min_plan_length > spec.max_plan_length) {
      throw new ConfigError(
        `task '${task.name}': min_plan_length (${spec.min_plan_length}) is larger than max_plan_length (${spec.max_plan_length})`,
        { file: task.file },
      );
    }
    const base = await super.stageExtras(task);
    const tools =
      (base.tools as TaskTools | undefined) ??
      (await this.toolSets.build(task, toolsSectionSchema.parse({})));
    const extras: ToolStageExtras = {
      tools,
      file: task.file,
      has_nested: spec.has_nested,
      separate_context: spec.separate_context,
      min_plan_length: spec.min_plan_length,
      max_plan_length: spec.max_plan_length,
    };
    return { ...base, toolCalling: extras };
  }
}
