import { z } from "zod";
import { type Tool, toolToDict } from "../../../../../../src/tools/types.js";
import { rowRandom } from "../../../../../../src/util/draw-key.js";
import { parseJsonLoose } from "../../../../../../src/util/json-loose.js";
import { type Conversation, text } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import {
  between,
  type CallDict,
  firstToolCallJson,
  largestConnected,
  leaves,
  norm,
  syntaxOk,
  tooPlain,
} from "../calls.js";
import { verifyPrompt } from "../prompts.js";
import { planCalls, planned, ROLES, stepsOf, toolInfo, validCalls } from "../steps.js";
import { askAll, toolExtras } from "./common.js";
import { history } from "./user.js";

const NAME = "tool_calling/multi_turn/stages/verifier";

/**
 * The first acceptable re-derived plan (DiGiT's checks: valid with the earlier calls, one linked
 * group when nested, not too plain, and every required value of the request among its values).
 *
 * @example
 * acceptVerified(replies, { tools, prior, requests: "…", required: ["Paris"], nested: true })
 */
export function acceptVerified(
  replies: string[],
  o: { tools: Tool[]; prior: CallDict[]; requests: string; required: unknown[]; nested: boolean },
): CallDict[] | undefined {
  for (const reply of replies) {
    let body = between(reply, "tool_calls");
    if (body.endsWith("{")) body = `${body.slice(0, -1).trim().replace(/,$/, "")}\n]`;
    const json = firstToolCallJson(body);
    const parsed = json ? parseJsonLoose(json) : undefined;
    if (!syntaxOk(parsed)) continue;
    if (
      !validCalls([...o.prior, ...parsed], o.tools, {
        question: o.requests,
        allowNested: o.nested,
        requireNested: o.nested,
      })
    )
      continue;
    if (o.nested && largestConnected(parsed, o.prior).length !== parsed.length) continue;
    if (tooPlain(parsed)) continue;
    const scalar = (v: unknown) => v === null || typeof v !== "object";
    const want = new Set(o.required.filter(scalar).map(norm));
    const have = new Set(leaves(parsed).filter(scalar).map(norm));
    if ([...want].some((w) => !have.has(w))) continue;
    return parsed;
  }
  return undefined;
}

/**
 * `tool_calling/multi_turn/stages/verifier`: the generator answers the new request with tool
 * calls (the plan shown as a draft); an acceptable answer replaces the turn's plan, otherwise
 * the conversation is dropped (the request and the plan disagree).
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
        const replies = await askAll(blocks.generator!, convs, (c) => {
          const { tools } = toolInfo(c);
          const plans = stepsOf(c, ROLES.plan);
          const users = stepsOf(c, ROLES.user);
          const calls = planCalls(plans.at(-1));
          const names = new Set(calls.map((t) => t.name));
          const rng = rowRandom(c, `verify:${plans.length}`, ctx.rng);
          const shown = rng.sample(
            tools
              .filter((t) => names.has(t.name))
              .map((t) => toolToDict(t, x.has_nested ? undefined : ["name", "parameters"])),
            names.size,
          );
          const [system, user] = verifyPrompt({
            tools: shown,
            history: history(c, users.length - 1),
            request: text(users.at(-1)?.content),
            calls,
            required: (users.at(-1)?.required_terms as unknown[]) ?? [],
            nested: x.has_nested,
          });
          return { system, user, example: `<tool_calls>${JSON.stringify(calls)}</tool_calls>` };
        });
        return convs.filter((c, i) => {
          const { tools } = toolInfo(c);
          const plans = stepsOf(c, ROLES.plan);
          const users = stepsOf(c, ROLES.user);
          const ok = acceptVerified(replies[i] ?? [], {
            tools,
            prior: plans.slice(0, -1).flatMap(planCalls),
            requests: users.map((u) => text(u.content)).join("\n"),
            required: (users.at(-1)?.required_terms as unknown[]) ?? [],
            nested: x.has_nested,
          });
          if (!ok) return false;
          plans.at(-1)!.plan = planned(ok, tools);
          return true;
        });
      },
    };
  },
});
