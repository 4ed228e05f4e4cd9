import type { Row } from "digit-sdg";
import { z } from "zod";
import { type Tool, toolToDict } from "../../../../../../src/tools/types.js";
import { rowRandom } from "../../../../../../src/util/draw-key.js";
import { type Conversation, text } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import {
  between,
  type CallDict,
  hiddenIds,
  leaves,
  orderedLikePlan,
  shuffleTools,
} from "../calls.js";
import { exampleRequest } from "../examples.js";
import { userPrompt } from "../prompts.js";
import { planCalls, ROLES, steps, stepsOf, toolInfo, validCalls } from "../steps.js";
import { askAll, personaText, toolExtras } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/user";

/**
 * The dialogue so far as DiGiT shows it to the user and verifier stages: each request followed
 * by its planned calls.
 *
 * @example
 * history(conversation, 1) // [{ role: "user", content: "..." }, { role: "assistant", content: {...} }]
 */
export function history(c: Conversation, turns: number): Row[] {
  const users = stepsOf(c, ROLES.user);
  const plans = stepsOf(c, ROLES.plan);
  const out: Row[] = [];
  for (let i = 0; i < Math.min(turns, users.length, plans.length); i++) {
    out.push({ role: "user", content: text(users[i]!.content) });
    for (const call of planCalls(plans[i])) out.push({ role: "assistant", content: call });
  }
  return out;
}

/**
 * The first acceptable request among candidate replies (DiGiT's checks: a `<request>` text
 * without call ids, valid with the calls so far; on the first turn no past tense and, with
 * hidden calls, visible values before hidden ones).
 *
 * @example
 * acceptRequest(replies, { tools, plan, earlier: [], hidden: [], first: true, separate: true })
 */
export function acceptRequest(
  replies: string[],
  o: {
    tools: Tool[];
    plan: CallDict[];
    all: CallDict[];
    earlier: string[];
    hidden: CallDict[];
    first: boolean;
    separate: boolean;
  },
): string | undefined {
  for (const reply of replies) {
    if (!reply.includes("<request>")) continue;
    const request = between(reply, "request");
    if (!request) continue;
    if (o.all.some((tc) => request.includes(`${String(tc.id ?? "")}.`))) continue;
    if (
      !validCalls(o.all, o.tools, {
        question: [...o.earlier, request].join("\n"),
        allowNested: true,
      })
    )
      continue;
    if (o.first) {
      const lower = request.toLowerCase();
      const pastWord = lower
        .split(/\s+/)
        .some((w) => ["was", "earlier", "previous", "prior"].some((p) => w.startsWith(p)));
      if (pastWord && lower.includes("you just")) continue;
      if (o.separate && o.hidden.length && !orderedLikePlan(o.plan, request, o.hidden)) continue;
    }
    return request;
  }
  return undefined;
}

/**
 * `tool_calling/multi_turn/stages/user`: writes the user request behind the latest plan. With
 * `separate_context`, some calls others depend on are hidden from the user (their values still
 * appear in the request). Conversations without an acceptable request are dropped.
 */
registerStage({
  name: NAME,
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks, extras) => {
    const x = toolExtras(extras, NAME);
    return {
      name: NAME,
      async run(convs: Conversation[], ctx) {
        const info = new Map<
          Conversation,
          { plan: CallDict[]; hidden: CallDict[]; required: unknown[] }
        >();
        const replies = await askAll(blocks.generator!, convs, (c) => {
          const { tools } = toolInfo(c);
          const plans = stepsOf(c, ROLES.plan);
          const plan = planCalls(plans.at(-1));
          const turn = plans.length;
          const rng = rowRandom(c, `user:${turn}`, ctx.rng);
          const hiddenSet = new Set(hiddenIds(plan, rng));
          const hidden = x.separate_context
            ? plan.filter((tc) => hiddenSet.has(String(tc.id)))
            : [];
          const explicit = plan.filter((tc) => !hidden.includes(tc));
          const used = new Set(plans.flatMap(planCalls).map((p) => p.name));
          const shown = shuffleTools(
            tools.filter((t) => used.has(t.name)).map((t) => toolToDict(t)),
            rng,
          );
          const required = rng.sample(leaves(plan), leaves(plan).length);
          info.set(c, { plan, hidden, required });
          const [system, user] = userPrompt({
            tools: shown,
            persona: personaText(c),
            required,
            history: history(c, turn - 1),
            explicit: explicit.map((content) => ({ role: "assistant", content })),
            hidden: hidden.map((content) => ({ role: "assistant", content })),
          });
          return { system, user, example: exampleRequest(plan, hidden) };
        });
        return convs.filter((c, i) => {
          const { plan, hidden, required } = info.get(c)!;
          const users = stepsOf(c, ROLES.user);
          const request = acceptRequest(replies[i] ?? [], {
            tools: toolInfo(c).tools,
            plan,
            all: stepsOf(c, ROLES.plan).flatMap(planCalls),
            earlier: users.map((u) => text(u.content)),
            hidden,
            first: users.length === 0,
            separate: x.separate_context,
          });
          if (request === undefined) return false;
          c.steps.push(steps.user(request, required, hidden, NAME));
          return true;
        });
      },
    };
  },
});
