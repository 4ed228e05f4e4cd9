import { ConfigError } from "digit-sdg";
import { z } from "zod";
import type { TaskTools } from "../../../../src/tools/build.js";
import { selectTools } from "../../../../src/tools/select.js";
import { runToolLoop } from "../../../../src/tools/tool-loop.js";
import { type Conversation, makeStep } from "../conversation.js";
import { assistantMessages } from "./assistant.js";
import { registerStage } from "./stage.js";

const NAME = "lm/assistant/tools";

/**
 * `lm/assistant/tools`: the assistant answers with the task's tools at hand. The generator gets
 * the dialogue and the tools named in `tools` (namespaces, `ns/*`, namespace/tool or `*`; all when
 * omitted);
 * its tool calls are executed by the task's engines in a bounded loop (`max_tool_rounds`, each
 * round at most `call_timeout` seconds), each call and result appended as tool_call /
 * tool_result steps, then the final assistant step (its metadata counts invalid calls). A
 * conversation whose loop fails, or one of whose calls could not be run because the tool's server
 * went away, is dropped.
 *
 * @example
 * iteration_stages:
 *   - { name: lm/user/guided }
 *   - { name: lm/assistant/tools, tools: [calc], max_tool_rounds: 4, call_timeout: 30 }
 */
registerStage({
  name: NAME,
  args: z.object({
    tools: z.array(z.string().min(1)).optional(),
    max_tool_rounds: z.number().int().min(1).default(4),
    call_timeout: z.number().positive().default(30),
  }),
  blocks: ["generator"],
  create: (a, blocks, extras) => {
    const taskTools = extras.tools as TaskTools | undefined;
    if (!taskTools)
      throw new ConfigError(`stage '${NAME}' needs a 'tools:' section in the task`, {
        hint: "add tools: { registry: [...], engines: {...} } (docs/tools.md)",
      });
    const offered = a.tools
      ? selectTools(taskTools.registry.all(), a.tools, `stage '${NAME}'`)
      : taskTools.registry.all();
    return {
      name: NAME,
      async run(convs: Conversation[], ctx) {
        const kept = await Promise.all(
          convs.map(async (c) => {
            try {
              const out = await runToolLoop({
                lm: blocks.generator!,
                messages: assistantMessages(c) as never,
                tools: offered,
                engine: taskTools.engine,
                sessionId: c.conversation_id,
                maxTurns: a.max_tool_rounds,
                callTimeoutMs: a.call_timeout * 1000,
                row: {
                  task_name: c.task_name,
                  ...(typeof c.draw_key === "string" ? { draw_key: c.draw_key } : {}),
                },
              });
              for (const t of out.trace) {
                c.steps.push(
                  makeStep("tool_call", { id: t.id, name: t.name, arguments: t.arguments }, NAME, {
                    namespace: t.namespace,
                  }),
                );
                c.steps.push(
                  makeStep(
                    "tool_result",
                    t.error != null
                      ? { call_id: t.id, error: t.error }
                      : { call_id: t.id, result: t.result },
                    NAME,
                  ),
                );
              }
              const down = out.trace.find((t) => t.unreachable);
              if (down) {
                // The tool's server went away: this conversation fails, the others go on.
                const tool = `${down.namespace}/${down.name}`;
                ctx.logger.info(
                  `${NAME}: conversation ${c.conversation_id} failed: ` +
                    `tool '${tool}' could not be run: ${down.error}`,
                  { task_name: c.task_name },
                );
                return false;
              }
              if (!out.reply) return false;
              c.steps.push(
                makeStep("assistant", out.reply, NAME, {
                  metadata: {
                    invalid_tool_calls: out.invalid_calls,
                    tool_rounds_exhausted: out.exhausted,
                  },
                }),
              );
              return true;
            } catch (e) {
              ctx.logger.info(
                `${NAME}: conversation ${c.conversation_id} failed: ${(e as Error).message}`,
                { task_name: c.task_name },
              );
              return false;
            }
          }),
        );
        return convs.filter((_, i) => kept[i]);
      },
    };
  },
});
