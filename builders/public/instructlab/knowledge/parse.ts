/**
 * One generated question/answer pair.
 *
 * @example
 * const pairs: QAPair[] = parseKnowledgeQA(reply);
 */
export interface QAPair {
  question: string;
  answer: string;
}

/**
 * Parse `[Question] … [Answer] … [End]` pairs. A last pair without `[End]` was cut off by the token
 * limit and is dropped; pairs with an empty side are dropped too.
 *
 * @example
 * parseKnowledgeQA("[Question] Why?\n[Answer] Because.\n[End]") // [{ question: "Why?", answer: "Because." }]
 */
export function parseKnowledgeQA(reply: string): QAPair[] {
  const out: QAPair[] = [];
  const blocks = reply.split(/\[Question\]/i).slice(1);
  blocks.forEach((block, i) => {
    const [q, rest] = splitOnce(block, /\[Answer\]/i);
    if (rest === undefined) return;
    const ended = /\[End\]/i.test(rest);
    if (!ended && i === blocks.length - 1) return;
    const answer = (ended ? rest.split(/\[End\]/i)[0]! : rest).trim();
    const question = q.trim();
    if (question && answer) out.push({ question, answer });
  });
  return out;
}

function splitOnce(text: string, re: RegExp): [string, string | undefined] {
  const m = re.exec(text);
  return m ? [text.slice(0, m.index), text.slice(m.index + m[0].length)] : [text, undefined];
}

/**
 * Judge verdicts of the three knowledge criteria.
 *
 * @example
 * faithful("Reasoning...\n**Answer:** Yes") // true
 */
export function faithful(reply: string): boolean {
  const m = /(?:\*\*Answer:\*\*|Answer:)\s*\**\s*(yes|no)\b/i.exec(reply);
  return m?.[1]?.toLowerCase() === "yes";
}

/**
 * Relevancy passes with a full "Total Score: 2/2".
 *
 * @example
 * relevant("Total Score: 2/2") // true
 */
export function relevant(reply: string): boolean {
  return /Total Score:\s*\**\s*2\s*\/\s*2/i.test(reply);
}

/**
 * Question verification passes with "Rating: 1".
 *
 * @example
 * verified("Rating: 1") // true
 */
export function verified(reply: string): boolean {
  const all = [...reply.matchAll(/Rating:\s*\**\s*(\d+(?:\.\d+)?)/gi)];
  return all.length > 0 && Number(all.at(-1)![1]) === 1;
}
