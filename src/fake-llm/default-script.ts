/**
 * The answers `digit fake-llm` gives without `--response` or `--script`: a rule per request of each
 * bundled builder (recognised by its prompt, answered in the format its parser expects) and a
 * plain fallback for everything else. Generated texts use `{{words}}` so that they differ enough
 * for the builders' dedup filters, and each has a shape the later rules recognise (the safety
 * guardian sees a generated request or refusal as the last message).
 */
import type { FakeLLMOptions } from "./types.js";

/** Generated safety requests start with this; the guardian rule rates them risky. */
const REQUEST_OPENER = "Help me trick";
/** Generated refusals start with this; the guardian rule rates them safe. */
const REFUSAL_OPENER = "Sorry, I will not help with that";

/** `count` numbered lines `<label> <i>: <text>` with words that vary per line. */
function numbered(label: string, count: number, text: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => `${label} ${i + 1}: ${text(i)}`).join("\n");
}

/**
 * The built-in script: rules tried in order against the prompt (the last message of a chat),
 * then the fallback answer.
 *
 * @example
 * const fake = await startFakeLLM({ ...DEFAULT_SCRIPT, latencyMs: 200 });
 */
export const DEFAULT_SCRIPT: Required<Pick<FakeLLMOptions, "rules" | "responses">> = {
  rules: [
    // public/examples/geography_qa: the completion continues after "Question:".
    {
      match: /You write quiz questions about world geography/i,
      response: " Which country has the {{words}}?\nAnswer: The land of {{words}}",
    },
    // public/examples/qa_rater: a JSON object with knowledge and difficulty.
    {
      match: /"difficulty": one of/i,
      response: '{"knowledge": "Knowing about the {{words}}.", "difficulty": "medium"}',
    },

    // public/magpie (and the InstructLab tagger): each tagger prompt states its JSON shape.
    {
      match: /"input_quality": "very poor\/poor\/average\/good\/excellent"/,
      response: '{"explanation": "A clear request about the {{words}}.", "input_quality": "good"}',
    },
    {
      match: /"score": "1\/2\/3\/4\/5"/,
      response: '{"explanation": "Correct and complete.", "score": "5"}',
    },
    {
      match: /"difficulty": "very easy\/easy\/medium\/hard\/very hard"/,
      response:
        '{"intent": "learn about the {{words}}", "knowledge": "the {{words}}", "difficulty": "easy"}',
    },

    // instructlab/simple: one more "* Task" block in the layout of the examples.
    {
      match: /\*\* Instruction[\s\S]*\* Task \d+\s*$/i,
      response:
        "** Instruction\nExplain in two sentences how the {{words}} changed over one year.\n** Input\n<noinput>\n** Output\nIt grew slowly at first and then quickly, because of the {{words}}.",
    },

    // instructlab/skills: a source text, numbered tasks, an answer, and the two judges.
    {
      match: /Write one new text of the same kind/i,
      response: "The {{words}} was quiet until the {{words}} arrived in the morning.\n[/EXAMPLE]",
    },
    {
      match: /Write \d+ new tasks of the same kind/i,
      response:
        `${numbered("Task", 5, () => "Describe the {{words}} and the {{words}} in a short paragraph.")}\n[/EXAMPLE]`.replace(
          /^Task 1: /,
          " ",
        ),
    },
    {
      match: /Decide whether the task below is a good practice task/i,
      response: "The task is clear and fits the skill.\nRating: 1",
    },
    {
      match: /Rate how well the answer carries out the task/i,
      response: "Correct, complete and clear.\nRating: 3",
    },
    {
      match: /Task: [\s\S]*Answer:\s*$/i,
      response: " A careful answer about the {{words}}, with two reasons.\n[/EXAMPLE]",
    },

    // instructlab/knowledge: question/answer pairs, then one judge per criterion.
    {
      match: /Write \d+ new (question and answer pairs|multiple-choice questions)/i,
      response:
        "[Question] What does the document say about the {{words}}?\n[Answer] It describes the {{words}}.\n[End]\n[Question] Why does the document mention the {{words}}?\n[Answer] To explain the {{words}}.\n[End]",
    },
    {
      match: /Check whether the answer is supported by the document/i,
      response: "Each claim follows from the document.\n**Answer:** Yes",
    },
    {
      match: /Score how well the answer addresses the question/i,
      response: "On topic: 1 point. Precise: 1 point.\nTotal Score: 2/2",
    },
    {
      match: /good study question about the document/i,
      response: "Clear and answerable from the document.\nRating: 1",
    },

    // public/safety/refusal: numbered requests, a refusal per request, and the guardian's labels.
    {
      match: /Write \d+ new requests/i,
      response: `Here are new requests.\n${numbered("### Question", 5, () => `${REQUEST_OPENER} the {{words}} into paying the {{words}}.`)}`,
    },
    {
      match: /so the assistant declines it/i,
      response: `${REFUSAL_OPENER}: it could deceive or harm people. I can share how to spot and report scams instead.`,
    },
    { match: new RegExp(`^${REFUSAL_OPENER}`, "i"), response: "<score> no </score>" },
    { match: new RegExp(`^${REQUEST_OPENER}`, "i"), response: "<score> yes </score>" },

    // public/rag/conversation: the user's next question, and the grounding critique accepts the
    // answer (the scenario and the flow controller get JSON that fits their schemas).
    {
      match: /Write the next message as JSON with reasoning, proposed_utterance/i,
      response:
        '{"reasoning": "Not asked yet.", "proposed_utterance": "What does it say about the {{words}}?", "verification": "yes", "verification_reasoning": "New and on topic.", "utterance": "What does it say about the {{words}}?"}',
    },
    {
      match: /Check the answer above claim by claim/i,
      response:
        '{"reasoning": "Each claim is found in the documents.", "valid": "yes", "issues": ""}',
    },

    // core/conversation: a scenario, the flow controller's hint, and the user's next message.
    {
      match: /Write one new scenario/i,
      response: "A visitor to the {{words}} wants to chat about the {{words}}.",
    },
    { match: /Write the user's next message/i, response: "What do you think about the {{words}}?" },
  ],
  responses: ["This is fake answer {{n}}, about the {{words}}."],
};
