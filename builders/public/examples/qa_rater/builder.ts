import {
  type LMProvider,
  type Row,
  registerDataBuilder,
  resultText,
  TransformationDataBuilder,
} from "digit-sdg";

/** The difficulty labels a rating may use, easiest first. */
export const DIFFICULTIES = ["very easy", "easy", "medium", "hard", "very hard"] as const;

/**
 * Rates question/answer pairs: one chat request per row asks the model for a JSON object with the
 * knowledge needed and a difficulty label; the reply is parsed leniently (code fences, lists,
 * salvage by pattern) and stored as `ratings`.
 */
@registerDataBuilder("public/examples/qa_rater")
export class QARaterBuilder extends TransformationDataBuilder {
  static override blockNames = ["rater"];
  static override outputFields = ["question", "answer", "ratings"];

  override instantiateInput(_task: unknown, row: Row): Row {
    return { question: row.question, answer: row.answer };
  }

  async call(batch: Row[]): Promise<Row[]> {
    const requests = batch.map((row) => ({
      input: [
        {
          role: "user",
          content: this.render("prompt_templates/judge.txt", {
            question: row.question,
            answer: row.answer,
          }),
        },
      ],
      question: row.question,
      answer: row.answer,
      task_name: row.task_name,
    }));
    const results = await this.block<LMProvider>("rater").call(requests, {
      method: "chat_completion",
    });
    return results
      .filter((r) => r.error === undefined)
      .map((r) => ({
        task_name: r.task_name,
        is_seed: false,
        question: r.question,
        answer: r.answer,
        ratings: parseRating(resultText(r.result)),
      }));
  }
}

/**
 * Parse a rating reply into `{knowledge, difficulty}`. `knowledge` is null when the reply is not
 * JSON; `difficulty` is salvaged from the text when possible and normalised to a known label.
 *
 * @example
 * parseRating('```json\n{"knowledge": "capitals", "difficulty": "Easy"}\n```') // { knowledge: "capitals", difficulty: "easy" }
 */
export function parseRating(text: string): { knowledge: unknown; difficulty: string | null } {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
    if (Array.isArray(parsed)) parsed = parsed[0];
  } catch {
    parsed = undefined;
  }
  const obj = parsed && typeof parsed === "object" ? (parsed as Row) : undefined;
  let difficulty: unknown = obj?.difficulty;
  if (difficulty === undefined)
    difficulty = /"?difficulty"?\s*[:=]\s*"?([A-Za-z ]+|\d)"?/i.exec(body)?.[1];
  return { knowledge: obj?.knowledge ?? null, difficulty: normaliseDifficulty(difficulty) };
}

function normaliseDifficulty(value: unknown): string | null {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === "number") value = String(value);
  if (typeof value !== "string") return null;
  const v = value.trim().toLowerCase();
  if ((DIFFICULTIES as readonly string[]).includes(v)) return v;
  const digit = /([1-5])\s*$/.exec(v);
  if (digit) return DIFFICULTIES[Number(digit[1]) - 1]!;
  // Longest label first, so "very hard" is not read as "hard".
  const found = [...DIFFICULTIES].sort((a, b) => b.length - a.length).find((l) => v.includes(l));
  return found ?? null;
}
