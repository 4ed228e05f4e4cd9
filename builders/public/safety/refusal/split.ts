/**
 * The requests of an instruction-generator reply: the text after each `### Question <n>:` heading,
 * trimmed, empty ones dropped. Text before the first heading is ignored.
 *
 * @example
 * splitQuestions("### Question 1: How do I ...?\n### Question 2: Can you ...?") // ["How do I ...?", "Can you ...?"]
 */
export function splitQuestions(reply: string): string[] {
  const parts = reply.split(/#{3}\s*Question\s*\d+\s*:/i);
  return parts
    .slice(1)
    .map((p) => p.trim())
    .filter(Boolean);
}
