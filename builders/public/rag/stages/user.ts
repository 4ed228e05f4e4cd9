import type { Row } from "digit-sdg";
import { z } from "zod";
import {
  type Conversation,
  lastStep,
  makeStep,
  scenarioText,
  text,
  toMessages,
  userTurns,
} from "../../../core/conversation/conversation.js";
import { chatAll, parseJsonObject, strictJsonReply } from "../../../core/conversation/stages/lm.js";
import { registerStage } from "../../../core/conversation/stages/stage.js";
import { renderDocuments, scenarioDocuments, sentencesOf } from "../documents.js";

const NAME = "lm/user/rag";

/**
 * JSON schema of the user reply: reason, draft, check the draft, then the final utterance.
 *
 * @example
 * gen_kwargs: { response_format: USER_SCHEMA }
 */
export const USER_SCHEMA: Row = strictJsonReply("rag_user_turn", {
  reasoning: {
    type: "string",
    description: "What the scenario needs and what is already covered",
  },
  proposed_utterance: { type: "string", description: "A first draft of the message" },
  verification: {
    type: "string",
    enum: ["yes", "no"],
    description: "Does the draft fit the scenario and avoid repeating an earlier question?",
  },
  verification_reasoning: { type: "string", description: "Why; what to change if 'no'" },
  utterance: {
    type: "string",
    description: "The final message, fixed if needed, in the user's own words",
  },
});

/**
 * The messages that make the generator play the user of a RAG conversation: a system prompt
 * with the scenario, persona, the flow controller's pattern and hint and the documents; the
 * dialogue with user and assistant swapped (tool calls and results as text); the request for JSON.
 *
 * @example
 * ragUserMessages(conversation)[0].role // "system"
 */
export function ragUserMessages(
  c: Conversation,
): { role: string; content: string | null; [k: string]: unknown }[] {
  const persona = lastStep(c, "persona");
  const fc = lastStep(c, "flow_controller");
  const docs = scenarioDocuments(c);
  const system = [
    "Play a person talking to an AI assistant. Write the person's next message so that the conversation moves on; never ask again what was already asked, and never mention that you are simulating anyone.",
    "Follow the hint when there is one: it says what kind of question fits this turn. Without a hint, go by the scenario and the conversation so far.",
    "The person has not read the documents: use everyday words, not the documents' phrasing. Keep it short.",
    scenarioText(c) ? `Scenario:\n${scenarioText(c)}` : "",
    persona ? `You are:\n${text(persona.content)}` : "",
    fc ? `Kind of message for this turn: ${text(fc.content)}` : "",
    typeof fc?.hint === "string" && fc.hint ? `Hint: ${fc.hint}` : "",
    docs.length ? `Documents the questions may draw on:\n${renderDocuments(docs)}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
  // Roles swapped: the simulated user's own turns are the model's. Tool calls and results are
  // shown as text on the other side's turn (as tool messages they would follow no tool call of
  // the model's, which strict chat APIs refuse).
  const swapped = toMessages(c.steps).map((m) => {
    if (m.role === "user") return { role: "assistant", content: m.content };
    if (m.role === "tool") return { role: "user", content: `(search results: ${m.content ?? ""})` };
    if (Array.isArray(m.tool_calls)) {
      const calls = (m.tool_calls as { function: { name: string; arguments: string } }[])
        .map((t) => `${t.function.name}(${t.function.arguments})`)
        .join(", ");
      return { role: "user", content: `(the assistant searches: ${calls})` };
    }
    return { role: "user", content: m.content };
  });
  return [
    { role: "system", content: system },
    ...swapped,
    {
      role: "user",
      content:
        "Write the next message as JSON with reasoning, proposed_utterance, verification (yes/no), " +
        "verification_reasoning and utterance: reason about what is still open, draft the message, " +
        "check it is new and fits the scenario, then give the final wording as the person would say it.",
    },
  ];
}

/**
 * A well-formed user reply, sent as `example_answer` for the offline `mock` provider: on a turn
 * the flow controller ends, a closing remark; otherwise a question about a sentence of the
 * documents (turn k asks about document k mod n, a later sentence of it on each pass).
 *
 * @example
 * exampleUserTurn(conversation)
 */
export function exampleUserTurn(c: Conversation): string {
  const docs = scenarioDocuments(c);
  const turn = userTurns(c);
  const doc = docs.length ? docs[turn % docs.length]! : undefined;
  const parts = doc ? sentencesOf(doc.text) : [];
  const sentence = parts.length
    ? parts[Math.floor(turn / docs.length) % parts.length]!
    : scenarioText(c) || "my question";
  const topic = sentence
    .split(/\s+/)
    .slice(0, 8)
    .join(" ")
    .replace(/[.,;:!?…]+$/, "");
  const utterance =
    lastStep(c, "flow_controller")?.terminate === true
      ? `Thanks, that settles what I needed about "${topic}". I'll take it from here.`
      : `What do I need to know about this: "${topic}"?`;
  return JSON.stringify({
    reasoning: "This part of the scenario is not covered yet.",
    proposed_utterance: utterance,
    verification: "yes",
    verification_reasoning: "It is new and fits the scenario.",
    utterance,
  });
}

/**
 * The utterance of a reply: `utterance`, else `proposed_utterance`, else the whole reply.
 *
 * @example
 * parseUtterance('{"utterance": "Hi"}') // "Hi"
 */
export function parseUtterance(reply: string): string {
  const obj = parseJsonObject(reply);
  if (obj) {
    for (const key of ["utterance", "proposed_utterance"]) {
      const v = obj[key];
      if (typeof v === "string" && v.trim()) return v.trim();
    }
  }
  return reply.trim();
}

/**
 * `lm/user/rag`: appends a user step written by the generator from the scenario, persona,
 * flow-controller hint and the conversation's documents, in one structured call that drafts,
 * checks and rewrites the message. Conversations whose reply is empty are dropped.
 *
 * @example
 * iteration_stages:
 *   - { name: lm/user/rag, generator: generator }
 */
registerStage({
  name: NAME,
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks) => ({
    name: NAME,
    async run(convs) {
      const replies = await chatAll(
        blocks.generator!,
        convs.map((conversation) => ({
          conversation,
          messages: ragUserMessages(conversation),
          gen_kwargs: { max_new_tokens: 512, response_format: USER_SCHEMA },
          row: { example_answer: exampleUserTurn(conversation) },
        })),
      );
      return convs.filter((c, i) => {
        const utterance = parseUtterance(replies[i] ?? "");
        if (!utterance) return false;
        c.steps.push(makeStep("user", utterance, NAME));
        return true;
      });
    },
  }),
});
