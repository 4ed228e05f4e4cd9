import { z } from "zod";
import {
  type Conversation,
  lastStep,
  makeStep,
  scenarioText,
  text,
  toMessages,
} from "../conversation.js";
import { chatAll } from "./lm.js";
import { registerStage } from "./stage.js";

/**
 * The messages that make the generator play the user: a system prompt with scenario, persona and
 * the flow controller's hint, the dialogue with roles swapped (the user's turns are the model's
 * own), and the request for the next user message.
 *
 * @example
 * userMessages(conversation)[0].role // "system"
 */
export function userMessages(
  c: Conversation,
): { role: string; content: string | null; [k: string]: unknown }[] {
  const persona = lastStep(c, "persona");
  const hint = lastStep(c, "flow_controller")?.hint;
  const system = [
    "You play a human user talking to an AI assistant. Stay in character and write only what the user would type.",
    `Scenario: ${scenarioText(c) || "(none)"}`,
    persona ? `Who you are:\n${text(persona.content)}` : "",
    typeof hint === "string" && hint ? `What your next message should do: ${hint}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
  const swapped = toMessages(c.steps).map((m) =>
    m.role === "user"
      ? { ...m, role: "assistant" }
      : m.role === "assistant" && !m.tool_calls
        ? { ...m, role: "user" }
        : m,
  );
  return [
    { role: "system", content: system },
    ...swapped,
    {
      role: "user",
      content:
        "Write the user's next message. Reply with the message text only, without quotes or a speaker label.",
    },
  ];
}

/** `lm/user/guided`: appends a user step written by the generator in the persona's voice. */
registerStage({
  name: "lm/user/guided",
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks) => ({
    name: "lm/user/guided",
    async run(convs: Conversation[]) {
      const replies = await chatAll(
        blocks.generator!,
        convs.map((conversation) => ({
          conversation,
          messages: userMessages(conversation),
          gen_kwargs: { max_new_tokens: 256 },
        })),
      );
      return convs.filter((c, i) => {
        if (!replies[i]) return false;
        c.steps.push(makeStep("user", replies[i], "lm/user/guided"));
        return true;
      });
    },
  }),
});
