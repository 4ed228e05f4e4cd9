import { scenarioText, toTranscript } from "../../../core/conversation/conversation.js";
import { registerFlowController } from "../../../core/conversation/stages/index.js";
import { renderDocuments, scenarioDocuments } from "../documents.js";

/**
 * `lm/flow_controller/rag`: the flow controller of `lm/flow_controller` (same keys: patterns,
 * termination_patterns, max_turns), shown also the conversation's documents, so that it can
 * judge patterns such as a comparison or an unanswerable question against what the documents
 * actually say.
 *
 * @example
 * iteration_stages:
 *   - name: lm/flow_controller/rag
 *     termination_patterns: [rag/termination]
 *     patterns: [{ name: rag/factoid, description: "A short factual question" }, ...]
 */
registerFlowController("lm/flow_controller/rag", (c) => {
  const docs = scenarioDocuments(c);
  return [
    `Scenario: ${scenarioText(c) || "(none)"}`,
    docs.length ? `Documents available to the assistant:\n${renderDocuments(docs)}` : "",
    `Conversation so far:\n${toTranscript(c.steps) || "(no messages yet: the conversation has not started)"}`,
  ]
    .filter(Boolean)
    .join("\n\n");
});
