import { z } from "zod";
import { type Conversation, makeStep, scenarioText, toMessages } from "../conversation.js";
import { chatAll } from "./lm.js";
import { registerStage } from "./stage.js";

/**
 * The assistant's view: a plain helpful-assistant system prompt with the scenario, then the dialogue.
 *
 * @example
 * assistantMessages(conversation)[0].content // "You are a helpful, friendly AI assistant. ..."
 */
export function assistantMessages(
  c: Conversation,
): { role: string; content: string | null; [k: string]: unknown }[] {
  const scenario = scenarioText(c);
  const system = `You are a helpful, friendly AI assistant.${scenario ? `\n\nContext of this conversation: ${scenario}` : ""}`;
  return [{ role: "system", content: system }, ...toMessages(c.steps)];
}

/** `lm/assistant/naive`: appends an assistant step answering the dialogue so far. */
registerStage({
  name: "lm/assistant/naive",
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks) => ({
    name: "lm/assistant/naive",
    async run(convs: Conversation[]) {
      const replies = await chatAll(
        blocks.generator!,
        convs.map((conversation) => ({
          conversation,
          messages: assistantMessages(conversation),
          gen_kwargs: { max_new_tokens: 1024 },
        })),
      );
      return convs.filter((c, i) => {
        if (!replies[i]) return false;
        c.steps.push(makeStep("assistant", replies[i], "lm/assistant/naive"));
        return true;
      });
    },
  }),
});
