import type { Row } from "digit-sdg";
import { z } from "zod";
import { toolToDict } from "../../../../../../src/tools/types.js";
import { type Conversation, text } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import { between } from "../calls.js";
import { summarizePrompt } from "../prompts.js";
import { ROLES, steps, toolInfo } from "../steps.js";
import { askAll } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/summarize";

/**
 * The calls and results since the last request, as DiGiT shows them to the summarizer.
 *
 * @example
 * sinceLastRequest(conversation) // [{ role: "assistant", content: { name, arguments, id } }, ...]
 */
export function sinceLastRequest(c: Conversation): Row[] {
  const last = c.steps.findLastIndex((s) => s.role === ROLES.user);
  return c.steps
    .slice(last + 1)
    .filter((s) => s.role === "tool_call" || s.role === "tool_result")
    .map((s) => ({
      role: "assistant",
      content: s.role === "tool_result" ? ((s.content as Row | null)?.result ?? null) : s.content,
    }));
}

/**
 * `tool_calling/multi_turn/stages/summarize`: the assistant's reply telling the user what the
 * results say (`<summary>`, no questions allowed); conversations without one are dropped.
 */
registerStage({
  name: NAME,
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks) => ({
    name: NAME,
    async run(convs: Conversation[]) {
      const replies = await askAll(blocks.generator!, convs, (c) => {
        const request = text(c.steps.findLast((s) => s.role === ROLES.user)?.content);
        const done = sinceLastRequest(c);
        const [system, user] = summarizePrompt({
          tools: toolInfo(c).tools.map((t) => toolToDict(t)),
          request,
          steps: done,
        });
        const facts = done
          .filter((_, i) => i % 2 === 1)
          .map((d) => JSON.stringify(d.content))
          .join("; ");
        return {
          system,
          user,
          example: `<summary>Here is what I found: ${facts.replace(/\?/g, "")}.</summary>`,
          gen_kwargs: { n: 1, temperature: 0.001 },
        };
      });
      return convs.filter((c, i) => {
        const summary = between(replies[i]?.[0] ?? "", "summary");
        if (!summary || summary.includes("?")) return false;
        c.steps.push(steps.assistant(summary, NAME));
        return true;
      });
    },
  }),
});
