import { Formatter, type Row, registerFormatter } from "digit-sdg";
import { lastStep } from "../../core/conversation/conversation.js";
import { RAG_SCENARIO } from "./documents.js";

/**
 * DiGiT's `formatters/conversation/rag/static`, for conversations grounded in a fixed document
 * set: `{conversation_id, messages, documents}` — the user and assistant messages in order
 * (scenario, persona and flow-controller steps left out) and the documents of the last
 * `rag/scenario` step, verbatim, so the consumer decides how to put them in the training prompt.
 * For live retrieval use `formatters/conversation/messages`, which keeps the tool calls.
 *
 * @example
 * formatter:
 *   type: formatters/conversation/rag/static
 */
@registerFormatter("formatters/conversation/rag/static")
export class StaticRagMessagesFormatter extends Formatter {
  apply(row: Row): Row {
    const steps = Array.isArray(row.steps) ? (row.steps as Row[]) : [];
    const messages = steps
      .filter((s) => s.role === "user" || s.role === "assistant")
      .map((s) => ({ role: s.role, content: s.content }));
    return {
      conversation_id: row.conversation_id ?? null,
      messages,
      documents: lastStep({ steps }, RAG_SCENARIO)?.documents ?? [],
    };
  }
}
