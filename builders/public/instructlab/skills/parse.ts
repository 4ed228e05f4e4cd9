/**
 * The tasks of a question-generation reply: lines numbered "Task 1:", "1." or "1)" (the first task
 * may follow the prompt's open "Task 1:" directly); blank or unnumbered lines continue the task
 * before them.
 *
 * @example
 * parseQuestions(" Name a bird.\nTask 2: Name a fish.") // ["Name a bird.", "Name a fish."]
 */
export function parseQuestions(reply: string): string[] {
  const text = reply.split(/\[\/?EXAMPLE\]|<\/s>/)[0] ?? "";
  const out: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const q = current.join(" ").replace(/\s+/g, " ").trim();
    if (q) out.push(q);
    current = [];
  };
  for (const line of text.split("\n")) {
    const m = /^\s*(?:(?:Task|Question)\s*\d+\s*[:.)]|\d+\s*[.)])\s*(.*)$/i.exec(line);
    if (m) {
      flush();
      current.push(m[1]!);
    } else if (line.trim()) current.push(line.trim());
  }
  flush();
  return out;
}

/**
 * The text of a single-item reply (an answer or a context): up to the first `[/EXAMPLE]`, `[EXAMPLE]` or `</s>`, trimmed.
 *
 * @example
 * firstBlock("Paris.\n[/EXAMPLE]\nmore") // "Paris."
 */
export function firstBlock(reply: string): string {
  return (reply.split(/\[\/?EXAMPLE\]|<\/s>/)[0] ?? "").trim();
}
