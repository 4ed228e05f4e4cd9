import { type Block, type Row, resultText } from "digit-sdg";
import type { Conversation } from "../conversation.js";

/**
 * A strict JSON-schema `response_format` for a reply that is one object with exactly
 * `properties`, every one of them required, in that order.
 *
 * @example
 * gen_kwargs: { response_format: strictJsonReply("hint", { hint: { type: "string" } }) }
 */
export function strictJsonReply(name: string, properties: Record<string, Row>): Row {
  return {
    type: "json_schema",
    json_schema: {
      name,
      strict: true,
      schema: {
        type: "object",
        properties,
        required: Object.keys(properties),
        additionalProperties: false,
      },
    },
  };
}

/**
 * One chat request of a stage for one conversation.
 *
 * @example
 * chatAll(generator, [{ conversation, messages: [{ role: "user", content: "Hi" }] }])
 */
export interface StageRequest {
  conversation: Conversation;
  messages: { role: string; content: string | null; [k: string]: unknown }[];
  gen_kwargs?: Row;
  /**
   * Extra fields of the request row, never part of the prompt: e.g. `example_answer`, a
   * well-formed answer the offline `mock` provider can answer with (`{{example_answer}}`).
   */
  row?: Row;
}

/**
 * Send one chat request per conversation in a single block call and return the trimmed reply
 * text of each (in request order; "" for a failed request).
 *
 * @example
 * const replies = await chatAll(generator, convs.map((c) => ({ conversation: c, messages: [...] })));
 */
export async function chatAll(generator: Block, requests: StageRequest[]): Promise<string[]> {
  if (requests.length === 0) return [];
  const rows = requests.map((r, i) => ({
    ...r.row,
    input: r.messages,
    ...(r.gen_kwargs ? { gen_kwargs: r.gen_kwargs } : {}),
    task_name: r.conversation.task_name,
    request_index: i,
  }));
  const out = await generator.call(rows, { method: "chat_completion" });
  const texts: string[] = requests.map(() => "");
  for (const r of out) {
    if (r.error != null) continue;
    texts[Number(r.request_index)] = resultText(r.result).trim();
  }
  return texts;
}

/**
 * Parse a JSON object from a model reply, tolerating a ``` fence around it.
 *
 * @example
 * parseJsonObject('```json\n{"hint": "ask"}\n```') // { hint: "ask" }
 */
export function parseJsonObject(reply: string): Row | undefined {
  const stripped = reply
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/```\s*$/, "")
    .trim();
  try {
    const v: unknown = JSON.parse(stripped);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Row) : undefined;
  } catch {
    return undefined;
  }
}
