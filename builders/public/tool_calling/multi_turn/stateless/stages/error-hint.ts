import type { Row } from "digit-sdg";
import { z } from "zod";
import { type Tool, toolToDict } from "../../../../../../src/tools/types.js";
import { rowRandom } from "../../../../../../src/util/draw-key.js";
import { parseJsonLoose } from "../../../../../../src/util/json-loose.js";
import { isObj } from "../../../../../../src/util/mapping.js";
import {
  type Conversation,
  type Step,
  text,
} from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import { between, type CallDict } from "../calls.js";
import { exampleWrongCall } from "../examples.js";
import { hintPrompt, nextCallSystem } from "../prompts.js";
import { ROLES, steps, toolInfo, validCalls } from "../steps.js";
import { askAll } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/error_hint";

const args = z.object({
  max_errors: z
    .number()
    .int()
    .min(0)
    .default(3)
    .describe("Most wrong calls inserted per conversation"),
  min_errors: z
    .number()
    .int()
    .min(0)
    .default(1)
    .describe("Fewest wrong calls drawn per conversation"),
  error_p: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe("Chance that a conversation gets wrong calls at all"),
});

/** Two calls alike: same structure, strings sharing more than two thirds of their words. */
function alike(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b && a !== b) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => alike(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && alike(a[k], b[k]));
  }
  if (typeof a === "string" && a && typeof b === "string") {
    const wa = new Set(a.toLowerCase().split(/\s+/));
    const wb = new Set(b.toLowerCase().split(/\s+/));
    return [...wa].filter((w) => wb.has(w)).length / (wa.size || 1) > 0.66;
  }
  return a === b;
}

/**
 * A wrong but well-formed call from the replies: valid against the tools, no placeholders, and
 * unlike every call the conversation made.
 *
 * @example
 * wrongCall(replies, tools, made) // { name: "get_order", arguments: { order_id: "#W9" } }
 */
export function wrongCall(
  replies: string[],
  tools: Tool[],
  made: CallDict[],
): CallDict | undefined {
  for (const reply of replies) {
    const p = parseJsonLoose(reply);
    if (!isObj(p)) continue;
    if (isObj(p.parameters) && !p.arguments) p.arguments = p.parameters;
    const call: CallDict = {
      name: String(p.name ?? ""),
      arguments: isObj(p.arguments) ? p.arguments : {},
    };
    if (!validCalls([call], tools, {})) continue;
    const lower = reply.toLowerCase();
    if (lower.includes("placeholder") || lower.includes("example")) continue;
    if (
      Object.values(call.arguments).some(
        (v) =>
          typeof v === "string" &&
          ((v.startsWith("{{") && v.endsWith("}}")) || (v.startsWith("<") && v.endsWith(">"))),
      )
    )
      continue;
    if (made.some((m) => alike(call, { name: m.name, arguments: m.arguments }))) continue;
    return call;
  }
  return undefined;
}

function dialogue(before: Step[]): { role: string; content: string }[] {
  const out: { role: string; content: string }[] = [];
  for (const s of before) {
    if (s.role === ROLES.user) out.push({ role: "user", content: text(s.content) });
    else if (s.role === "tool_call")
      out.push({ role: "assistant", content: JSON.stringify(s.content) });
    else if (s.role === "tool_result")
      out.push({
        role: "tool",
        content: typeof s.content === "string" ? s.content : JSON.stringify(s.content),
      });
    else if (s.role === "assistant") out.push({ role: "assistant", content: text(s.content) });
  }
  return out;
}

/**
 * `tool_calling/multi_turn/stages/error_hint`: teaches recovery. For some tool calls of a kept
 * conversation (between min_errors and max_errors draws, with chance error_p), the generator
 * predicts the call from the dialogue before it; a well-formed prediction unlike every real call
 * is inserted before the real call, followed by the tool's error message (a hint written by the
 * generator). Conversations are never dropped here.
 */
registerStage({
  name: NAME,
  args,
  blocks: ["generator"],
  create: (a, blocks) => ({
    name: NAME,
    async run(convs: Conversation[], ctx) {
      const targets = new Map<Conversation, Step[]>();
      for (const c of convs) {
        const calls = c.steps.filter((s) => s.role === "tool_call");
        const rng = rowRandom(c, "error-hint", ctx.rng);
        if (!calls.length || a.max_errors < a.min_errors) continue;
        const k = a.min_errors + rng.int(a.max_errors - a.min_errors + 1);
        const picked = [
          ...new Set(
            rng.choices(
              calls.map((_, i) => i),
              k,
            ),
          ),
        ]
          .sort((x, y) => x - y)
          .map((i) => calls[i]!);
        if (a.error_p >= rng.next()) targets.set(c, picked);
      }
      const round = Math.max(0, ...[...targets.values()].map((t) => t.length));
      for (let r = 0; r < round; r++) {
        const live = convs.filter((c) => targets.get(c)?.[r]);
        const preds = await askAll(blocks.generator!, live, (c) => {
          const at = c.steps.indexOf(targets.get(c)![r]!);
          const { tools, date } = toolInfo(c);
          const shown = rowRandom(c, `hint:${r}`, ctx.rng).sample(
            tools.map((t) => toolToDict(t)),
            tools.length,
          );
          return {
            system: nextCallSystem({ tools: shown, date }),
            dialogue: dialogue(c.steps.slice(0, at)),
            example: exampleWrongCall(tools, `${c.conversation_id}:${r}`),
          };
        });
        const wrong = new Map<Conversation, CallDict>();
        live.forEach((c, i) => {
          const made = c.steps
            .filter((s) => s.role === "tool_call")
            .map((s) => s.content as CallDict);
          const w = wrongCall(preds[i] ?? [], toolInfo(c).tools, made);
          if (w) wrong.set(c, w);
        });
        const hinted = [...wrong.keys()];
        const hints = await askAll(blocks.generator!, hinted, (c) => {
          const correct = targets.get(c)![r]!.content as Row;
          const w = wrong.get(c)!;
          const names = new Set([String(correct.name), w.name]);
          const [system, user] = hintPrompt({
            tools: toolInfo(c)
              .tools.filter((t) => names.has(t.name))
              .map((t) => toolToDict(t)),
            correct: { name: correct.name, arguments: correct.arguments },
            wrong: w,
          });
          return {
            system,
            user,
            example: `<hint>The call to ${w.name} does not match the request: check its arguments.</hint>`,
          };
        });
        hinted.forEach((c, i) => {
          const hint = between(hints[i]?.[0] ?? "", "hint");
          if (!hint) return;
          const at = c.steps.indexOf(targets.get(c)![r]!);
          c.steps.splice(at, 0, steps.call(wrong.get(c)!, NAME), steps.result(hint, NAME));
        });
      }
      return convs;
    },
  }),
});
