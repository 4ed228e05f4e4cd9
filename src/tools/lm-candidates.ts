import type { Block } from "../blocks/block.js";
import { resultText } from "../blocks/lm/provider.js";
import type { Row } from "../util/mapping.js";

/**
 * One chat request to an LM block; `row` fields travel with it (the mock provider templates on
 * them, providers ignore them).
 *
 * @example
 * const r: CandidateRequest = { messages: [{ role: "user", content: "Hi" }], row: { tool: "add" } };
 */
export interface CandidateRequest {
  messages: { role: string; content: string }[];
  gen_kwargs?: Row;
  row?: Row;
}

/**
 * Send requests in one block call and return every candidate text of each (several when the
 * block's `n` > 1; none for a failed request), in request order.
 *
 * @example
 * const [candidates] = await candidates(lm, [{ messages }]);
 */
export async function lmCandidates(lm: Block, requests: CandidateRequest[]): Promise<string[][]> {
  if (requests.length === 0) return [];
  const rows = requests.map((r, i) => ({
    ...(r.row ?? {}),
    input: r.messages,
    ...(r.gen_kwargs ? { gen_kwargs: r.gen_kwargs } : {}),
    candidate_index: i,
  }));
  const out = await lm.call(rows, { method: "chat_completion" });
  const texts: string[][] = requests.map(() => []);
  for (const r of out) {
    if (r.error != null) continue;
    const list = Array.isArray(r.result) ? r.result : [r.result];
    texts[Number(r.candidate_index)] = list.map((x) => resultText(x).trim()).filter(Boolean);
  }
  return texts;
}
