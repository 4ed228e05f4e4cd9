import { z } from "zod";
import { type Tool, toolToDict } from "../../../../../../src/tools/types.js";
import { rowRandom } from "../../../../../../src/util/draw-key.js";
import { parseJsonLoose } from "../../../../../../src/util/json-loose.js";
import type { Conversation } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import {
  between,
  type CallDict,
  firstToolCallJson,
  largestConnected,
  renumber,
  shuffleTools,
  syntaxOk,
  tooPlain,
} from "../calls.js";
import { examplePlan } from "../examples.js";
import { planPrompt } from "../prompts.js";
import { planCalls, planned, ROLES, steps, stepsOf, toolInfo, validCalls } from "../steps.js";
import { askAll, personaText, toolExtras } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/planner";

/**
 * The first acceptable plan among candidate replies (DiGiT's checks: a JSON list of well-formed
 * calls; with nesting, the largest group of linked calls with ≥ 2 new ones; within the length;
 * not too plain; valid against the tools, nesting required when `nested`).
 *
 * @example
 * acceptPlan(replies, tools, [], { nested: true, min: 1, max: 3 })
 */
export function acceptPlan(
  replies: string[],
  tools: Tool[],
  prior: CallDict[],
  o: { nested: boolean; min: number; max: number },
): CallDict[] | undefined {
  for (const reply of replies) {
    const json = firstToolCallJson(between(reply, "tool_calls"));
    const parsed = json ? parseJsonLoose(json) : undefined;
    if (!syntaxOk(parsed)) continue;
    const group = o.nested ? largestConnected(parsed, prior) : parsed;
    if (!group.length || group.length > o.max || group.length < o.min) continue;
    if (tooPlain(group)) continue;
    if (
      !validCalls([...prior, ...group], tools, { allowNested: o.nested, requireNested: o.nested })
    )
      continue;
    return renumber(
      group,
      prior.map((c) => c.id),
    );
  }
  return undefined;
}

/**
 * `tool_calling/multi_turn/stages/planner`: asks for a chain of calls over the conversation's
 * tools not used yet (length drawn in [min_plan_length, max_plan_length]) and appends a plan
 * step; conversations without an acceptable plan are dropped.
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
        const lengths = new Map<Conversation, number>();
        const replies = await askAll(blocks.generator!, convs, (c) => {
          const { tools, date } = toolInfo(c);
          const prior = stepsOf(c, ROLES.plan).flatMap(planCalls);
          const used = new Set(prior.map((p) => p.name));
          const offered = tools.filter((t) => !used.has(t.name));
          const turn = stepsOf(c, ROLES.plan).length;
          const rng = rowRandom(c, `plan:${turn}`, ctx.rng);
          const length = x.min_plan_length + rng.int(x.max_plan_length - x.min_plan_length + 1);
          lengths.set(c, length);
          const keep = ["name", "parameters", ...(x.has_nested ? ["output_parameters"] : [])];
          const shown = shuffleTools(
            offered.map((t) => toolToDict(t, keep)),
            rng,
          );
          const [system, user] = planPrompt({
            tools: shown,
            date,
            persona: personaText(c),
            length,
            prior,
            nested: x.has_nested,
          });
          const example = `<tool_calls>${JSON.stringify(examplePlan(offered, prior, x.has_nested, `${c.conversation_id}:${turn}`))}</tool_calls>`;
          return { system, user, example };
        });
        return convs.filter((c, i) => {
          const { tools } = toolInfo(c);
          const prior = stepsOf(c, ROLES.plan).flatMap(planCalls);
          const plan = acceptPlan(replies[i] ?? [], tools, prior, {
            nested: x.has_nested,
            min: x.min_plan_length,
            max: lengths.get(c) ?? x.max_plan_length,
          });
          if (!plan) {
            ctx.logger.debug?.(`planner: no acceptable plan for conversation ${c.conversation_id}`);
            return false;
          }
          c.steps.push(steps.plan(planned(plan, tools), NAME));
          return true;
        });
      },
    };
  },
});
