import { randomUUID } from "node:crypto";
import { z } from "zod";
import { type Conversation, makeStep, scenarioText } from "../conversation.js";
import { chatAll } from "./lm.js";
import { registerStage } from "./stage.js";

/**
 * `lm/scenario`: asks the generator for a short scenario (1–3 sentences) in the spirit of up to
 * `num_icl_examples` scenarios of seed conversations, and appends a `scenario` step with a new
 * `scenario_family_id`. Conversations whose reply is empty are dropped.
 */
registerStage({
  name: "lm/scenario",
  args: z.object({ num_icl_examples: z.number().int().min(0).default(3) }),
  blocks: ["generator"],
  create: (args, blocks) => ({
    name: "lm/scenario",
    async run(convs, ctx) {
      const requests = convs.map((conversation) => {
        const examples = ctx.rng
          .sample(ctx.seedData, Math.min(args.num_icl_examples, ctx.seedData.length))
          .map((s) => scenarioText(s as Conversation))
          .filter(Boolean);
        return {
          conversation,
          messages: [{ role: "user", content: scenarioPrompt(examples) }],
          gen_kwargs: { max_new_tokens: 1024 },
        };
      });
      const replies = await chatAll(blocks.generator!, requests);
      const out: Conversation[] = [];
      convs.forEach((c, i) => {
        if (!replies[i]) return;
        c.steps.push(
          makeStep("scenario", replies[i], "lm/scenario", { scenario_family_id: randomUUID() }),
        );
        out.push(c);
      });
      return out;
    },
  }),
});

/**
 * The scenario request: example scenarios as bullets, then the ask.
 *
 * @example
 * scenarioPrompt(["A student asks about tides."])
 */
export function scenarioPrompt(examples: string[]): string {
  const shown = examples.length
    ? `Here are some scenarios written before:\n${examples.map((e) => `- ${e}`).join("\n")}\n\n`
    : "";
  return (
    "You set the scene for a conversation between a person (the user) and an AI assistant.\n" +
    shown +
    "Write one new scenario, different from the ones above, in one to three sentences: who the user is, " +
    "what situation they are in and what they want to talk about. Reply with the scenario only."
  );
}
