import type { Row } from "digit-sdg";
import { z } from "zod";
import { resultToDict, type Tool } from "../../../../../../src/tools/types.js";
import { isObj } from "../../../../../../src/util/mapping.js";
import type { Conversation } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import type { CallDict } from "../calls.js";
import { type PlannedCall, ROLES, steps, stepsOf, toolInfo, validCalls } from "../steps.js";
import { toolExtras } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/execute";

/**
 * Replace "$n.field.sub" references with values from earlier results; undefined when a
 * reference cannot be resolved or the call then fails its schema.
 *
 * @example
 * substitute({ name: "b", arguments: { x: "$1.id" } }, { $1: { id: "A7" } }, tools)
 * // { name: "b", arguments: { x: "A7" } }
 */
export function substitute(
  call: CallDict,
  results: Record<string, unknown>,
  tools: Tool[],
): CallDict | undefined {
  const ids = Object.keys(results);
  let used = false;
  let missing = false;
  const sub = (v: unknown): unknown => {
    if (typeof v === "string" && ids.some((id) => v.startsWith(id))) {
      used = true;
      const [id, ...path] = v.split(".");
      let cur: unknown = results[id!];
      for (const p of path)
        cur = isObj(cur)
          ? cur[p]
          : Array.isArray(cur) && /^\d+$/.test(p)
            ? cur[Number(p)]
            : undefined;
      if (cur === undefined) missing = true;
      return cur;
    }
    if (Array.isArray(v)) return v.map(sub);
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sub(x)]));
    return v;
  };
  const args = sub(call.arguments) as Row;
  if (missing) return undefined;
  const out: CallDict = { ...call, arguments: args };
  if (used && !validCalls([{ name: out.name, arguments: out.arguments }], tools, {}))
    return undefined;
  return out;
}

/**
 * `tool_calling/multi_turn/stages/execute`: runs the turn's planned calls in order through the
 * task's tool engine (references to earlier results substituted first) and appends a tool_call
 * and a tool_result step for each. A call that cannot be substituted or whose execution fails
 * drops the conversation, with the reason logged.
 */
registerStage({
  name: NAME,
  args: z.object({}),
  blocks: [],
  create: (_a, _blocks, extras) => {
    const x = toolExtras(extras, NAME);
    return {
      name: NAME,
      async run(convs: Conversation[], ctx) {
        const kept = await Promise.all(
          convs.map(async (c) => {
            const { tools } = toolInfo(c);
            const plan = (stepsOf(c, ROLES.plan).at(-1)?.plan as PlannedCall[] | undefined) ?? [];
            if (!c.steps.some((s) => s.role === "tool_call"))
              await x.tools.engine.setup(c.conversation_id);
            for (const p of plan) {
              const results: Record<string, unknown> = {};
              for (const s of c.steps) {
                const r = s.content as Row | null;
                if (s.role === "tool_result" && isObj(r) && typeof r.id === "string")
                  results[r.id] = r.result;
              }
              const call = {
                name: p.name,
                arguments: p.arguments,
                ...(p.call_id != null ? { id: p.call_id } : {}),
              };
              const done = substitute(
                call,
                Object.values(results).every(isObj) ? results : {},
                tools,
              );
              if (!done) {
                ctx.logger.debug(
                  `execute: cannot substitute the references of ${p.name} (conversation ${c.conversation_id})`,
                );
                return false;
              }
              const [result] = await x.tools.engine.execute(
                c.conversation_id,
                [
                  {
                    name: p.name,
                    namespace: p.namespace,
                    arguments: done.arguments,
                    call_id: p.call_id,
                  },
                ],
                {
                  drawKey: typeof c.draw_key === "string" ? c.draw_key : undefined,
                  taskName: c.task_name,
                },
              );
              if (!result || result.error != null || result.result == null) {
                ctx.logger.info(
                  `execute: ${p.namespace}::${p.name} failed: ${result?.error ?? "no result"}`,
                  { task_name: c.task_name },
                );
                return false;
              }
              c.steps.push(steps.call(done, NAME), steps.result(resultToDict(result), NAME));
            }
            return true;
          }),
        );
        return convs.filter((_, i) => kept[i]);
      },
    };
  },
});
