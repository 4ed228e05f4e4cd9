import type { Row } from "digit-sdg";
import { z } from "zod";
import {
  type Conversation,
  makeStep,
  toMessages,
} from "../../../core/conversation/conversation.js";
import { chatAll, parseJsonObject, strictJsonReply } from "../../../core/conversation/stages/lm.js";
import { registerStage } from "../../../core/conversation/stages/stage.js";
import { renderDocuments, type StepDocument, scenarioDocuments } from "../documents.js";
import { groundedAnswer, lastUserText, quotesDocuments } from "./grounding.js";

const NAME = "lm/assistant/rag/static";
/** At most this many rewrites of an answer the critique rejects (DiGiT's cap). */
const MAX_RETRIES = 3;

/**
 * JSON schema of the grounding critique: the evidence per claim, the verdict, the problems.
 *
 * @example
 * gen_kwargs: { response_format: CRITIQUE_SCHEMA }
 */
export const CRITIQUE_SCHEMA: Row = strictJsonReply("rag_critique", {
  reasoning: {
    type: "string",
    description:
      "For each claim of the answer, the document sentence that supports it, or 'unsupported'",
  },
  valid: {
    type: "string",
    enum: ["yes", "no"],
    description: "Is every claim supported by the documents or declared outside them?",
  },
  issues: { type: "string", description: "The unsupported claims when valid is 'no'" },
});

type Msg = { role: string; content: string | null; [k: string]: unknown };

/**
 * The assistant's view: rules for answering only from the documents, the documents, then the
 * dialogue.
 *
 * @example
 * groundedMessages(docs, conversation.steps)[0].role // "system"
 */
export function groundedMessages(docs: readonly StepDocument[], steps: readonly Row[]): Msg[] {
  const system = [
    "You are a helpful AI assistant. Answer only from the documents below.",
    "When they answer the question, answer it fully. When they answer part of it, give that part and say plainly what they leave out; do not fill the gap yourself. Say that the documents cannot answer only when nothing in them is relevant.",
    "Never add facts, figures, names or rules the documents do not contain.",
    `Documents:\n${renderDocuments(docs)}`,
  ].join("\n\n");
  return [{ role: "system", content: system }, ...toMessages(steps)];
}

/**
 * The critique request: the documents, the dialogue, the answer, and the ask for a verdict.
 *
 * @example
 * critiqueMessages(docs, conversation.steps, "It is due in May.")
 */
export function critiqueMessages(
  docs: readonly StepDocument[],
  steps: readonly Row[],
  answer: string,
): Msg[] {
  const system = [
    "You check that an AI assistant's answer is grounded in the documents below.",
    "An answer passes when each of its claims is stated by the documents or follows from them by plain logic, and any gap is admitted as such. It fails when a claim needs outside knowledge, or when it states as certain what the documents leave uncertain.",
    `Documents:\n${renderDocuments(docs)}`,
  ].join("\n\n");
  return [
    { role: "system", content: system },
    ...toMessages(steps),
    { role: "assistant", content: answer },
    {
      role: "user",
      content:
        "Check the answer above claim by claim, citing the supporting document sentence for each, and reply with JSON: reasoning, valid (yes or no), issues.",
    },
  ];
}

/**
 * The rewrite request: the assistant's view, the rejected answer, and what was wrong with it.
 *
 * @example
 * rewriteMessages(docs, conversation.steps, "It is due in June.", "June is not in the documents.")
 */
export function rewriteMessages(
  docs: readonly StepDocument[],
  steps: readonly Row[],
  answer: string,
  issues: string,
): Msg[] {
  return [
    ...groundedMessages(docs, steps),
    { role: "assistant", content: answer },
    {
      role: "user",
      content: `That answer is not fully grounded in the documents. ${issues} Write it again so that every claim comes from the documents, or say plainly what they do not cover.`,
    },
  ];
}

/**
 * The verdict of a critique reply; an unreadable reply counts as a rejection.
 *
 * @example
 * parseCritique('{"valid": "yes", "issues": "", "reasoning": "ok"}').valid // true
 */
export function parseCritique(reply: string): {
  valid: boolean;
  issues: string;
  reasoning: string;
} {
  const obj = parseJsonObject(reply);
  if (!obj) return { valid: false, issues: "The critique could not be read.", reasoning: "" };
  return {
    valid:
      String(obj.valid ?? "no")
        .trim()
        .toLowerCase() === "yes",
    issues: typeof obj.issues === "string" ? obj.issues.trim() : "",
    reasoning: typeof obj.reasoning === "string" ? obj.reasoning.trim() : "",
  };
}

/** The critique the offline mock answers with: "yes" only when the answer quotes the documents. */
function exampleCritique(answer: string, docs: readonly StepDocument[]): string {
  const ok = quotesDocuments(answer, docs);
  return JSON.stringify({
    reasoning: ok
      ? "The answer quotes a document sentence."
      : "No sentence of the answer is found in the documents.",
    valid: ok ? "yes" : "no",
    issues: ok ? "" : "Quote the documents for each claim.",
  });
}

interface Attempt {
  c: Conversation;
  docs: StepDocument[];
  messages: Msg[];
  attempt: number;
}

/**
 * `lm/assistant/rag/static`: answers from the documents of the conversation's `rag/scenario`
 * step (no retrieval calls). Each answer is checked by a critique call of the same generator;
 * a rejected answer is rewritten with the critique's issues, up to `max_retries` times (at most
 * 3), and a conversation whose answer is still rejected is dropped. The assistant step's
 * metadata records `critique_attempts` and `critique_reasoning`.
 *
 * @example
 * iteration_stages:
 *   - { name: lm/assistant/rag/static, generator: generator, max_retries: 3 }
 */
registerStage({
  name: NAME,
  args: z.object({ max_retries: z.number().int().min(0).default(1) }),
  blocks: ["generator"],
  create: (a, blocks) => {
    const retries = Math.min(a.max_retries, MAX_RETRIES);
    const lm = blocks.generator!;
    return {
      name: NAME,
      async run(convs) {
        const kept = new Set<Conversation>();
        let active: Attempt[] = convs.map((c) => {
          const docs = scenarioDocuments(c);
          return { c, docs, messages: groundedMessages(docs, c.steps), attempt: 1 };
        });
        while (active.length) {
          const answers = await chatAll(
            lm,
            active.map((x) => ({
              conversation: x.c,
              messages: x.messages,
              gen_kwargs: { max_new_tokens: 1024 },
              row: { example_answer: groundedAnswer(lastUserText(x.c), x.docs) },
            })),
          );
          const answered = active
            .map((x, i) => ({ ...x, answer: answers[i] ?? "" }))
            .filter((x) => x.answer);
          const verdicts = await chatAll(
            lm,
            answered.map((x) => ({
              conversation: x.c,
              messages: critiqueMessages(x.docs, x.c.steps, x.answer),
              gen_kwargs: { max_new_tokens: 512, response_format: CRITIQUE_SCHEMA },
              row: { example_answer: exampleCritique(x.answer, x.docs) },
            })),
          );
          const next: Attempt[] = [];
          answered.forEach((x, i) => {
            const v = parseCritique(verdicts[i] ?? "");
            if (v.valid) {
              x.c.steps.push(
                makeStep("assistant", x.answer, NAME, {
                  metadata: { critique_attempts: x.attempt, critique_reasoning: v.reasoning },
                }),
              );
              kept.add(x.c);
            } else if (x.attempt <= retries) {
              next.push({
                ...x,
                messages: rewriteMessages(x.docs, x.c.steps, x.answer, v.issues),
                attempt: x.attempt + 1,
              });
            }
          });
          active = next;
        }
        return convs.filter((c) => kept.has(c));
      },
    };
  },
});
