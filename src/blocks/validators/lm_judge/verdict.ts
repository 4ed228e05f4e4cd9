/**
 * Turning a judge's answer into a verdict: rubric scores, success regexes, minimum scores.
 */
import { reject, type Validation } from "../../validator.js";

/**
 * A scoring rubric: what is judged, the levels, and the least passing score.
 *
 * @example
 * const r: Rubric = { criteria: "helpfulness", levels: [{ score: 1, description: "useless" }, { score: 5, description: "ideal" }], min_score: 4 };
 */
export interface Rubric {
  criteria: string;
  levels: { score: number; description: string }[];
  min_score: number;
}

/**
 * A YAML-expressible success criterion.
 *
 * @example
 * const s: Success = { regex: "^yes", flags: "i" }; // or { min_score: 7, score_regex: "(\\d+)/10" }
 */
export type Success =
  | { regex: string; flags?: string }
  | { min_score: number; score_regex?: string | undefined };

/**
 * The instructions appended to the prompt when a rubric is used.
 *
 * @example
 * rubricInstructions({ criteria: "correctness", levels: [{ score: 1, description: "wrong" }, { score: 5, description: "right" }], min_score: 4 })
 */
export function rubricInstructions(r: Rubric): string {
  const levels = [...r.levels]
    .sort((a, b) => a.score - b.score)
    .map((l) => `- ${l.score}: ${l.description}`);
  return [
    `Rate the ${r.criteria} on this scale:`,
    ...levels,
    'Answer with a JSON object only: {"score": <one of the scores above>, "reason": "<one sentence>"}',
  ].join("\n");
}

/**
 * The first balanced `{...}` in a text that parses as a JSON object.
 *
 * @example
 * firstJsonObject('Verdict: {"score": 4}') // { score: 4 }
 */
export function firstJsonObject(text: string): Record<string, unknown> | undefined {
  for (let start = text.indexOf("{"); start >= 0; start = text.indexOf("{", start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{") depth++;
      else if (ch === "}" && --depth === 0) {
        try {
          const v: unknown = JSON.parse(text.slice(start, i + 1));
          if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
        } catch {
          // not JSON; try the next brace
        }
        break;
      }
    }
  }
  return undefined;
}

const NUMBER = /-?\d+(?:\.\d+)?/;

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && NUMBER.test(v)) return Number(NUMBER.exec(v)![0]);
  return undefined;
}

/**
 * Decide one row from the judge's answer text.
 *
 * @example
 * parseVerdict('{"score": 2, "reason": "off topic"}', rubric, undefined) // { valid: false, reason: "off topic", ... }
 */
export function parseVerdict(
  text: string,
  rubric: Rubric | undefined,
  success: Success | undefined,
): Validation {
  if (rubric) {
    const obj = firstJsonObject(text);
    let score = asNumber(obj?.score);
    let why = typeof obj?.reason === "string" ? obj.reason : undefined;
    if (score === undefined) {
      const m = /score\W{0,3}(-?\d+(?:\.\d+)?)/i.exec(text);
      if (m) score = Number(m[1]);
      why ??= text.trim();
    }
    if (score === undefined)
      return reject("could not read a score from the judge's answer", { judge_output: text });
    const metadata = { judge_output: text, score, judge_reason: why ?? null };
    if (score >= rubric.min_score) return { valid: true, metadata };
    return reject(
      `judge score ${score} is below ${rubric.min_score}${why ? `: ${why}` : ""}`,
      metadata,
    );
  }
  if (success && "regex" in success) {
    const re = new RegExp(success.regex, success.flags ?? "");
    if (re.test(text)) return { valid: true, metadata: { judge_output: text } };
    return reject(`the judge's answer does not match /${success.regex}/${success.flags ?? ""}`, {
      judge_output: text,
    });
  }
  const s = success!;
  let score: number | undefined;
  if (s.score_regex) {
    const m = new RegExp(s.score_regex).exec(text);
    score = asNumber(m?.[1] ?? m?.[0]);
  } else score = asNumber(text);
  if (score === undefined)
    return reject("could not read a score from the judge's answer", { judge_output: text });
  if (score >= s.min_score) return { valid: true, metadata: { judge_output: text, score } };
  return reject(`judge score ${score} is below ${s.min_score}`, { judge_output: text, score });
}
