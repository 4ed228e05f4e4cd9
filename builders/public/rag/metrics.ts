import type { Row } from "digit-sdg";
import { isStepRole } from "../../core/conversation/conversation.js";
import { RAG_SCENARIO } from "./documents.js";

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const mean = (v: readonly number[]) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0);
/** Sample standard deviation (n − 1), 0 below two values. */
function stdev(v: readonly number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
}
const words = (c: unknown) => (typeof c === "string" ? (c.match(/\S+/g) ?? []).length : 0);

/**
 * DiGiT's RAG task metrics over a task's final conversations: turns per conversation, words per
 * user and assistant turn, corpus coverage (distinct scenario documents over `corpusSize`),
 * flow-pattern counts and per-conversation shares, completion rate (last flow-controller step
 * ends the conversation) and, for conversations without scenario documents (live retrieval), tool
 * calls per assistant turn (null when there are none).
 *
 * @example
 * ragMetrics(records, 149).avg_turns // 3.5
 */
export function ragMetrics(conversations: readonly Row[], corpusSize: number): Row {
  if (!conversations.length) return {};
  const turns: number[] = [];
  const userWords: number[] = [];
  const assistantWords: number[] = [];
  const shares = new Map<string, number[]>();
  const counts: Record<string, number> = {};
  let completed = 0;
  let liveCalls = 0;
  let liveAnswers = 0;
  const seen = new Set<string>();
  for (const conv of conversations) {
    const steps = (Array.isArray(conv.steps) ? conv.steps : []) as Row[];
    const of = (role: string) => steps.filter((s) => isStepRole(s.role, role));
    const users = of("user");
    const answers = of("assistant");
    const flow = of("flow_controller");
    const scenarios = of(RAG_SCENARIO);
    turns.push(users.length);
    for (const s of users) userWords.push(words(s.content));
    for (const s of answers) assistantWords.push(words(s.content));
    const mine: Record<string, number> = {};
    for (const s of flow) {
      const p = typeof s.content === "string" ? s.content : "";
      if (!p) continue;
      mine[p] = (mine[p] ?? 0) + 1;
      counts[p] = (counts[p] ?? 0) + 1;
    }
    const total = Object.values(mine).reduce((a, b) => a + b, 0);
    for (const [p, n] of Object.entries(mine)) shares.set(p, [...(shares.get(p) ?? []), n / total]);
    if (flow.length && flow[flow.length - 1]!.terminate === true) completed++;
    const lastDocs = scenarios[scenarios.length - 1]?.documents;
    if (scenarios.length && !(Array.isArray(lastDocs) && lastDocs.length)) {
      liveCalls += of("tool_call").length;
      liveAnswers += answers.length;
    }
    for (const s of scenarios)
      for (const d of Array.isArray(s.documents) ? (s.documents as Row[]) : [])
        if (d && d.id != null) seen.add(String(d.id));
  }
  const dist = (f: (v: number[]) => number) =>
    Object.fromEntries([...shares].map(([p, v]) => [p, round(f(v), 4)]));
  return {
    avg_turns: round(mean(turns), 2),
    std_turns: round(stdev(turns), 2),
    min_turns: Math.min(...turns),
    max_turns: Math.max(...turns),
    avg_user_turn_words: round(mean(userWords), 2),
    std_user_turn_words: round(stdev(userWords), 2),
    avg_assistant_turn_words: round(mean(assistantWords), 2),
    std_assistant_turn_words: round(stdev(assistantWords), 2),
    corpus_size: corpusSize,
    unique_docs_used: seen.size,
    corpus_coverage_pct: corpusSize > 0 ? round((seen.size / corpusSize) * 100, 2) : 0,
    flow_pattern_counts: counts,
    flow_pattern_distribution: dist(mean),
    flow_pattern_distribution_std: dist(stdev),
    completion_rate: round(completed / conversations.length, 4),
    retrieval_tool_call_rate: liveAnswers > 0 ? round(liveCalls / liveAnswers, 4) : null,
  };
}
