import {
  DRAW_KEY,
  GenerationDataBuilder,
  type LMProvider,
  type Row,
  registerDataBuilder,
  resultText,
  rowsByTask,
} from "digit-sdg";
import { z } from "zod";

const ICL_EXAMPLES = 3;

/**
 * Generates geography question/answer pairs from a few seed pairs: each batch row becomes one chat
 * request whose prompt shows three examples of the same task, and the reply is parsed back into a
 * question and an answer. Duplicates are removed by the `dedup` postprocessor.
 */
@registerDataBuilder("public/examples/geography_qa")
export class GeographyQABuilder extends GenerationDataBuilder {
  static override blockNames = ["generator"];
  static override outputFields = ["question", "answer"];
  static override taskSchema = z.object({});

  override instantiateInput(_task: unknown, row: Row): Row {
    return { question: row.question, answer: row.answer };
  }

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    const byTask = rowsByTask(batch);
    // Examples come from the same task as the row they stand for, so outputs route back correctly.
    const requests = batch.map((row) => {
      // Drawn from the row's own stream, so a row gets the same examples whatever shares its call.
      const examples = this.rngFor(row, "examples").choices(
        byTask.get(String(row.task_name))!,
        ICL_EXAMPLES,
      );
      const text = examples
        .map((e) => `Question: ${String(e.question)}\nAnswer: ${String(e.answer)}`)
        .join("\n\n");
      return {
        input: [
          { role: "user", content: this.render("prompt_templates/prompt.txt", { examples: text }) },
        ],
        reference: examples,
        task_name: row.task_name,
        // Lets a scripted model (the `mock` provider) answer by row, not by arrival.
        [DRAW_KEY]: row[DRAW_KEY],
      };
    });
    const results = await this.block<LMProvider>("generator").call(requests, {
      method: "chat_completion",
    });
    const out: Row[] = [];
    for (const r of results) {
      const text = resultText(r.result);
      const parsed = parseQA(text);
      if (parsed) out.push({ task_name: r.task_name, is_seed: false, ...parsed });
      else if (r.error === undefined)
        this.unusableReply(text, "expected 'Question: ...' then one 'Answer: ...'");
    }
    return out;
  }
}

/**
 * Split a reply into question and answer: it must contain exactly one "Answer:"; the question is
 * what follows the last "Question:" before it (or all of it).
 *
 * @example
 * parseQA("Question: Capital of Peru?\nAnswer: Lima") // { question: "Capital of Peru?", answer: "Lima" }
 */
export function parseQA(text: string): { question: string; answer: string } | undefined {
  const parts = text.split("Answer:");
  if (parts.length !== 2) return undefined;
  const qPart = parts[0]!;
  const at = qPart.lastIndexOf("Question:");
  const question = (at >= 0 ? qPart.slice(at + "Question:".length) : qPart).trim();
  const answer = parts[1]!.trim();
  return question && answer ? { question, answer } : undefined;
}
