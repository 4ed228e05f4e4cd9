import type { Row } from "digit-sdg";
import { isObj } from "../../../src/util/mapping.js";
import { lastStep, registerStepRole } from "../../core/conversation/conversation.js";

/**
 * Role of DiGiT's `rag/scenario` step: a scenario step that also carries the documents the
 * conversation is grounded in (`documents`, empty when they are retrieved live) and the
 * scenario writer's `reasoning`.
 *
 * @example
 * lastStep(conversation, RAG_SCENARIO)?.documents
 */
export const RAG_SCENARIO = "rag/scenario";

// A rag/scenario step is a scenario step for every stage that reads the scenario.
registerStepRole(RAG_SCENARIO, "scenario");

/**
 * A document as stored in a `rag/scenario` step (DiGiT's Document.to_dict: id, text, then
 * score and metadata when set).
 *
 * @example
 * const d: StepDocument = { id: "Registrations#3_0", text: "Your registration is ..." };
 */
export interface StepDocument extends Row {
  id: string;
  text: string;
}

/**
 * The documents of a conversation's last `rag/scenario` step ([] when it has none).
 *
 * @example
 * scenarioDocuments(conversation).map((d) => d.id)
 */
export function scenarioDocuments(c: { steps: readonly Row[] }): StepDocument[] {
  const docs = lastStep(c, RAG_SCENARIO)?.documents;
  if (!Array.isArray(docs)) return [];
  return docs.filter(isObj).map((d) => ({
    ...d,
    id: String(d.id ?? ""),
    text: typeof d.text === "string" ? d.text : "",
  }));
}

/**
 * Documents as the stages show them to the model: `[Document i | id=…]` then the text, blank
 * lines between, and a placeholder when there are none (DiGiT's layout, so prompts and seed
 * examples agree).
 *
 * @example
 * renderDocuments([{ id: "a", text: "Rain falls." }]) // "[Document 1 | id=a]\nRain falls."
 */
export function renderDocuments(docs: readonly StepDocument[]): string {
  if (!docs.length) return "(no documents provided)";
  return docs.map((d, i) => `[Document ${i + 1} | id=${d.id || i + 1}]\n${d.text}`).join("\n\n");
}

/**
 * The first sentence of a text (at most `max` characters, cut at a word), for answers that
 * quote a document.
 *
 * @example
 * firstSentence("Rain falls. Then it dries.") // "Rain falls."
 */
export function firstSentence(text: string, max = 240): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(flat);
  const s = m ? m[1]! : flat;
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), 1))}…`;
}

/**
 * The sentences of a text of at least four words (whitespace flattened; a sentence ends at
 * ".", "!" or "?" followed by a space).
 *
 * @example
 * sentencesOf("Fees are due in May. Late fees apply after that date.") // both sentences
 */
export function sentencesOf(text: string): string[] {
  return text
    .replace(/\s+/g, " ")
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.split(" ").length >= 4);
}
