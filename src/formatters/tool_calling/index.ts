import { registerFormatter } from "../../registry/decorators.js";
import type { Row } from "../../util/mapping.js";
import { isObj } from "../../util/mapping.js";
import { Random } from "../../util/random.js";
import { Formatter } from "../formatter.js";

function toolsOf(row: Row, keep?: readonly string[]): Row[] {
  const steps = Array.isArray(row.steps) ? (row.steps as Row[]) : [];
  const info = steps.find((s) => s.role === "tc/sampler");
  const tools = Array.isArray(info?.tools) ? (info.tools as Row[]) : [];
  const dicts = tools.map((t) => {
    const d: Row = {
      name: t.name,
      namespace: t.namespace,
      description: t.description ?? "",
      parameters: t.parameters ?? {},
    };
    if (isObj(t.output_parameters) && Object.keys(t.output_parameters).length)
      d.output_parameters = t.output_parameters;
    if (isObj(t.metadata) && Object.keys(t.metadata).length) d.metadata = t.metadata;
    return keep ? Object.fromEntries(Object.entries(d).filter(([k]) => keep.includes(k))) : d;
  });
  // Shuffled against position bias; seeded by the conversation so a rerun formats alike.
  return new Random(`format:${String(row.conversation_id ?? row.id ?? "")}`).sample(
    dicts,
    dicts.length,
  );
}

/**
 * DiGiT's `tool_calling/formatters/multi_turn`: `{messages, tools}` where user requests are
 * `user` messages, tool calls and the assistant's summaries `assistant` messages (a call's content
 * is the `{name, arguments, id}` object), results `tool` messages (the result value), and `tools`
 * the conversation's tools, shuffled.
 *
 * @example
 * formatter:
 *   type: tool_calling/formatters/multi_turn
 */
@registerFormatter("tool_calling/formatters/multi_turn")
export class ToolCallingMultiTurnFormatter extends Formatter {
  apply(row: Row): Row {
    const messages: Row[] = [];
    for (const s of (row.steps as Row[] | undefined) ?? []) {
      if (s.role === "tc/user") messages.push({ role: "user", content: s.content });
      else if (s.role === "assistant" || s.role === "tool_call")
        messages.push({ role: "assistant", content: s.content });
      else if (s.role === "tool_result")
        messages.push({ role: "tool", content: isObj(s.content) ? s.content.result : s.content });
    }
    return { messages, tools: toolsOf(row) };
  }
}

/**
 * DiGiT's `tool_calling/formatters/single_turn`: each user request followed by an `assistant`
 * message whose content is the list of planned calls; `tools` keep only name and parameters.
 *
 * @example
 * formatter:
 *   type: tool_calling/formatters/single_turn
 */
@registerFormatter("tool_calling/formatters/single_turn")
export class ToolCallingSingleTurnFormatter extends Formatter {
  apply(row: Row): Row {
    const users: Row[] = [];
    const plans: Row[] = [];
    for (const s of (row.steps as Row[] | undefined) ?? []) {
      if (s.role === "tc/user") users.push({ role: "user", content: s.content });
      else if (s.role === "tc/plan") {
        const plan = Array.isArray(s.plan) ? (s.plan as Row[]) : [];
        plans.push({
          role: "assistant",
          content: plan.map((p) => ({
            name: p.name,
            arguments: p.arguments,
            ...(p.call_id != null ? { id: p.call_id } : {}),
          })),
        });
      }
    }
    if (users.length !== plans.length)
      throw new Error(
        `conversation ${String(row.conversation_id)}: ${users.length} requests but ${plans.length} plans`,
      );
    return {
      messages: users.flatMap((u, i) => [u, plans[i]!]),
      tools: toolsOf(row, ["name", "parameters"]),
    };
  }
}
