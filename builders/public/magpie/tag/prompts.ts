/**
 * The tagger's prompts (digit's own wording). Each states the JSON answer first, then shows the
 * text, so small instruction-tuned models answer with the object and nothing else.
 */

const JSON_ONLY = "Answer with one JSON object and nothing else.";

/**
 * The prompt for one tagging task over a user request (and the reply, for `sample_quality`).
 *
 * @example
 * singleTurnPrompt("quality", "What is 2+2?", "4")
 */
export function singleTurnPrompt(
  task: "quality" | "sample_quality" | "difficulty" | "classification",
  query: string,
  reply: string | undefined,
): string {
  switch (task) {
    case "quality":
      return `Rate how clear, specific and well-formed a user's request is. ${JSON_ONLY}
Use this shape: {"explanation": "one or two sentences", "input_quality": "very poor/poor/average/good/excellent"}
"very poor" is unclear or incoherent; "average" is understandable but misses details a good answer needs; "excellent" is clear, specific and self-contained.

User request:
"""
${query}
"""`;
    case "sample_quality":
      return `Judge how well an assistant's reply serves the user's request: correctness, helpfulness and clarity. ${JSON_ONLY}
Use this shape: {"explanation": "one or two sentences", "score": "1/2/3/4/5"}
1 is wrong or useless, 3 is partly right or incomplete, 5 is correct, complete and clear.

User request:
"""
${query}
"""

Assistant reply:
"""
${reply ?? ""}
"""`;
    case "difficulty":
      return `Say what the user wants, what knowledge answering it takes, and how hard it is. ${JSON_ONLY}
Use this shape: {"intent": "what the user wants", "knowledge": "what one must know to answer", "difficulty": "very easy/easy/medium/hard/very hard"}

User request:
"""
${query}
"""`;
    case "classification":
      return `Give the task category of a user's request. ${JSON_ONLY}
Use this shape: {"primary_tag": "one category", "other_tags": ["further categories, if any"]}
Categories: Information seeking, Reasoning, Planning, Editing, Coding & Debugging, Math, Role playing, Data analysis, Creative writing, Advice seeking, Brainstorming, Others.

User request:
"""
${query}
"""`;
  }
}

/**
 * The prompt for a whole conversation (three messages or more).
 *
 * @example
 * multiTurnPrompt("quality", "### User 1\nHi\n")
 */
export function multiTurnPrompt(task: "quality" | "sample_quality", conversation: string): string {
  if (task === "quality") {
    return `Rate how clear, specific and well-formed the user's requests in this conversation are, taken together. ${JSON_ONLY}
Use this shape: {"explanation": "one or two sentences", "input_quality": "very poor/poor/average/good/excellent"}

Conversation:
${conversation}`;
  }
  return `Judge how well the assistant serves the user across this conversation: correctness, helpfulness, clarity and consistency between turns. ${JSON_ONLY}
Use this shape: {"explanation": "one or two sentences", "score": "1/2/3/4/5"}

Conversation:
${conversation}`;
}
