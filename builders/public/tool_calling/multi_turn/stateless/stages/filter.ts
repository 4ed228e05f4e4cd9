import type { Row } from "digit-sdg";
import { z } from "zod";
import { toolToDict } from "../../../../../../src/tools/types.js";
import { type Conversation, text } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import { between, type CallDict } from "../calls.js";
import { filterPrompt } from "../prompts.js";
import { planCalls, ROLES, toolInfo, validCalls } from "../steps.js";
import { askAll } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/filter";

/**
 * The conversation as the filter sees it, and the calls to check: executed calls when there are
 * any, else each request followed by its plan (single-turn tasks without execution).
 *
 * @example
 * const { conversation, calls } = ordered(c);
 */
export function ordered(c: Conversation): { conversation: Row[]; calls: CallDict[] } {
  const groups: Row[][] = [];
  const plans: Row[] = [];
  const executed: CallDict[] = [];
  const planned: CallDict[] = [];
  for (const s of c.steps) {
    if (s.role === ROLES.user) groups.push([{ role: "user", content: text(s.content) }]);
    else if (s.role === "tool_call" && groups.length) {
      groups.at(-1)!.push({ role: "assistant", content: JSON.stringify(s.content) });
      const call = s.content as CallDict;
      executed.push({ name: call.name, arguments: call.arguments });
    } else if (s.role === "tool_result" && groups.length)
      groups.at(-1)!.push({
        role: "tool_result",
        content: typeof s.content === "string" ? s.content : JSON.stringify(s.content),
      });
    else if (s.role === ROLES.plan) {
      const calls = planCalls(s);
      planned.push(...calls);
      plans.push({
        role: "assistant",
        content: JSON.stringify(
          calls.map((x) => ({ name: x.name, arguments: x.arguments })),
          null,
          4,
        ),
      });
    }
  }
  const merged = executed.length
    ? groups
    : groups.map((g, i) => [...g, ...(plans[i] ? [plans[i]!] : [])]);
  return { conversation: merged.flat(), calls: executed.length ? executed : planned };
}

/**
 * `tool_calling/multi_turn/stages/filter`: drops conversations whose calls fail validation, then
 * asks the generator to judge each; a conversation passes only if no candidate says no.
 */
registerStage({
  name: NAME,
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks) => ({
    name: NAME,
    async run(convs: Conversation[]) {
      const valid = convs.filter((c) => validCalls(ordered(c).calls, toolInfo(c).tools, {}));
      const model = String(blocks.generator!.config.model_id_or_path ?? "");
      const replies = await askAll(blocks.generator!, valid, (c) => {
        const [system, user] = filterPrompt({
          tools: toolInfo(c).tools.map((t) => toolToDict(t)),
          conversation: ordered(c).conversation,
          reasoning: !model.includes("gpt"),
        });
        return {
          system,
          user,
          example:
            "<thought>Every call matches the request and uses given values.</thought><pass>yes</pass>",
        };
      });
      return valid.filter((_, i) => {
        const votes = (replies[i] ?? [])
          .map((r) => between(r, "pass").toLowerCase().replace(/"/g, "").trim())
          .filter(Boolean);
        return votes.length > 0 && votes.every((v) => v === "yes");
      });
    },
  }),
});
