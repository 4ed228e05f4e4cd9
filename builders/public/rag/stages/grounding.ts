import type { Row } from "digit-sdg";
import { text } from "../../../core/conversation/conversation.js";
import { firstSentence, type StepDocument, sentencesOf } from "../documents.js";
import { rankBySimilarity } from "../similarity.js";

/**
 * A grounded answer to `question` from `docs`: the document and then the sentence of it most
 * alike the question (TF-IDF), quoted with the document id. Sent as `example_answer` so that the
 * offline `mock` provider answers from the documents; a real model never sees it.
 *
 * @example
 * groundedAnswer("When are fees due?", [{ id: "fees", text: "Fees are due in May. Late fees apply." }])
 * // 'According to document fees: "Fees are due in May."'
 */
export function groundedAnswer(question: string, docs: readonly StepDocument[]): string {
  const usable = docs.filter((d) => d.text.trim());
  if (!usable.length) return "The documents I have do not cover this, so I cannot answer it.";
  const doc =
    usable[
      rankBySimilarity(
        question,
        usable.map((d) => d.text),
      )[0]!
    ]!;
  const parts = sentencesOf(doc.text).filter((s) => s.split(" ").length >= 4);
  const best = parts.length
    ? parts[rankBySimilarity(question, parts)[0]!]!
    : firstSentence(doc.text);
  return `According to document ${doc.id}: "${best}"`;
}

/**
 * Whether a response quotes the documents: some sentence of it of at least six words appears
 * word for word in one of them. The example critique the `mock` provider answers with says
 * "yes" only then, so an offline run keeps only answers that carry document text.
 *
 * @example
 * quotesDocuments('It says "Fees are due in May each year."', docs) // true when a doc has it
 */
export function quotesDocuments(response: string, docs: readonly StepDocument[]): boolean {
  const flat = docs.map((d) => d.text.replace(/\s+/g, " "));
  const pieces = response
    .replace(/\s+/g, " ")
    .split(/["“”]|(?<=[.!?])\s/)
    .map((s) => s.trim())
    .filter((s) => s.split(" ").length >= 6);
  return pieces.some((p) => flat.some((d) => d.includes(p)));
}

/**
 * The text of a conversation's last user message ("" when there is none).
 *
 * @example
 * lastUserText(conversation) // "When are fees due?"
 */
export function lastUserText(c: { steps: readonly Row[] }): string {
  for (let i = c.steps.length - 1; i >= 0; i--)
    if (c.steps[i]!.role === "user") return text(c.steps[i]!.content);
  return "";
}
