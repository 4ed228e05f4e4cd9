import type { ChatMessage } from "./provider.js";

/** A tool call as OpenAI-compatible endpoints return it. */
interface RawToolCall {
  id?: string | undefined;
  type?: string | undefined;
  function?: { name?: string | undefined; arguments?: unknown } | undefined;
}

/**
 * The assistant message of a chat response in OpenAI's shape, with each tool call's
 * `function.arguments` parsed from JSON into an object (left as a string if it is not JSON).
 *
 * @example
 * toAssistantMessage({ content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] })
 * // { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: { a: 1 } } }] }
 */
export function toAssistantMessage(message: {
  role?: string | undefined;
  content?: unknown;
  tool_calls?: RawToolCall[] | null | undefined;
  [k: string]: unknown;
}): ChatMessage {
  const out: ChatMessage = { role: "assistant", content: message.content ?? null };
  if (typeof message.reasoning_content === "string")
    out.reasoning_content = message.reasoning_content;
  const calls = message.tool_calls ?? [];
  if (calls.length) {
    out.tool_calls = calls.map((c, i) => ({
      id: c.id ?? `call_${i}`,
      type: c.type ?? "function",
      function: { name: c.function?.name ?? "", arguments: parseArguments(c.function?.arguments) },
    }));
  }
  return out;
}

/** Tool-call arguments as an object when they are JSON text. */
export function parseArguments(args: unknown): unknown {
  if (typeof args !== "string") return args ?? {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

/** The text of chat messages, joined (for payload recording and word counts). */
export function messagesText(messages: readonly ChatMessage[]): string {
  return messages
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? "")))
    .join("\n");
}
