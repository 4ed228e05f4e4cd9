import { registerFormatter } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import { Formatter } from "../../formatter.js";

/**
 * One chat message of the formatted output (OpenAI shape).
 *
 * @example
 * const m: FormattedMessage = { role: "user", content: "Hi" };
 */
export interface FormattedMessage {
  role: "user" | "assistant" | "tool";
  content: string | null;
  tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/**
 * DiGiT's `formatters/conversation/messages`: a conversation record (`conversation_id`, `steps`)
 * becomes `{conversation_id, messages}`. User and assistant steps become messages, a tool-call step
 * an assistant message with one `tool_calls` entry (arguments as a JSON string), a tool-result step
 * a `tool` message (non-string results JSON-encoded). Scenario, persona and flow-controller steps
 * are left out.
 *
 * @example
 * formatter:
 *   type: formatters/conversation/messages
 */
@registerFormatter("formatters/conversation/messages")
export class ConversationMessagesFormatter extends Formatter {
  apply(row: Row): Row {
    return {
      conversation_id: row.conversation_id ?? null,
      messages: stepsToMessages(asSteps(row.steps)),
    };
  }
}

/**
 * The chat messages of a list of conversation steps.
 *
 * @example
 * stepsToMessages([{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello!" }])
 */
export function stepsToMessages(steps: Row[]): FormattedMessage[] {
  const out: FormattedMessage[] = [];
  for (const step of steps) {
    const role = step.role;
    if (role === "user" || role === "assistant") {
      out.push({ role, content: text(step.content) });
    } else if (role === "tool_call") {
      const call: Row = isObj(step.content) ? step.content : {};
      const args = call.arguments ?? call.args ?? {};
      out.push({
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: String(call.id ?? call.call_id ?? ""),
            type: "function",
            function: {
              name: String(call.name ?? ""),
              arguments: typeof args === "string" ? args : JSON.stringify(args),
            },
          },
        ],
      });
    } else if (role === "tool_result") {
      const result: Row = isObj(step.content) ? step.content : { result: step.content };
      const value =
        result.error != null ? { error: result.error } : (result.result ?? result.content ?? null);
      out.push({
        role: "tool",
        tool_call_id: String(result.call_id ?? result.id ?? result.tool_call_id ?? ""),
        content: typeof value === "string" ? value : JSON.stringify(value),
      });
    }
  }
  return out;
}

function asSteps(steps: unknown): Row[] {
  return Array.isArray(steps) ? steps.filter(isObj) : [];
}

function text(content: unknown): string {
  return typeof content === "string" ? content : content == null ? "" : JSON.stringify(content);
}

function isObj(v: unknown): v is Row {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
