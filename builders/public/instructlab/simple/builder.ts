import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type Block,
  ConfigError,
  DRAW_KEY,
  GenerationDataBuilder,
  type LMProvider,
  type Row,
  registerDataBuilder,
  renderTemplate,
  resultText,
  type Task,
} from "digit-sdg";
import { z } from "zod";
import { type InstructionTriple, parseInstructions, renderExamples } from "./parse.js";

/**
 * The fields of a `public/instructlab/simple` record (DiGiT's SimpleData), in DiGiT's order.
 *
 * @example
 * static override outputFields = [...SIMPLE_FIELDS];
 */
export const SIMPLE_FIELDS = [
  "taxonomy_path",
  "task_description",
  "instruction",
  "input",
  "output",
  "document",
] as const;

/**
 * InstructLab's "simple" skill generator. For every task in a batch it samples
 * `num_prompt_instructions` examples (with replacement), writes them as `* Task i` blocks after a
 * prompt template and asks the `generator` for the next task with a plain completion request that
 * stops at the task after it. The reply is parsed into instruction / input / output triples, unusable
 * instructions are dropped, the `validator` judges the rest, and `rouge_val` removes duplicate
 * instructions after each epoch.
 *
 * Builder options (CLI): `--num-prompt-instructions` (2), `--prompt-file-path` (prompt.txt in the
 * working directory; when it does not exist, a bundled template chosen by the generator's model).
 *
 * @example
 * npx digit run tasks/public/instructlab/simple --include-namespaces public --num-prompt-instructions 3
 */
@registerDataBuilder("public/instructlab/simple")
export class SimpleInstructLabBuilder extends GenerationDataBuilder {
  static override blockNames = ["generator", "validator"];
  static override outputFields = [...SIMPLE_FIELDS];
  static override taskSchema = z.object({});

  override instantiateInput(task: Task, row: Row): Row {
    return {
      taxonomy_path: task.name,
      task_description: String(task.spec.task_description ?? ""),
      instruction: str(row.question ?? row.instruction),
      input: str(row.context ?? row.input),
      output: str(row.answer ?? row.output),
      document: row.document ?? null,
    };
  }

  override async setup(): Promise<void> {
    for (const t of this.tasks) {
      const inline = t.spec.seed_examples;
      if ((!Array.isArray(inline) || inline.length === 0) && t.spec.seed_datastore == null) {
        throw new ConfigError(
          `task '${t.name}': missing mandatory value for seed_examples or seed_datastore`,
          {
            file: t.file,
            hint: "give the task 'seed_examples' (question/answer pairs) or a 'seed_datastore' with a data_path",
          },
        );
      }
    }
  }

  /** ICL examples per prompt (CLI --num-prompt-instructions). */
  get numPromptInstructions(): number {
    const n = Number(this.options.num_prompt_instructions ?? 2);
    return Number.isInteger(n) && n > 0 ? n : 2;
  }

  private templateText: string | undefined;

  /** The prompt template: the user's prompt file if it exists, else a bundled one for the model. */
  template(): string {
    if (this.templateText === undefined) {
      const path = resolve(String(this.options.prompt_file_path ?? "prompt.txt"));
      if (existsSync(path)) this.templateText = readFileSync(path, "utf8");
      else {
        const model = this.block<LMProvider>("generator").modelId.toLowerCase();
        const bundled = /mistral|llama/.test(model) ? "mixtral.txt" : "merlinite.txt";
        this.templateText = readFileSync(resolve(this.dir, "prompt_templates", bundled), "utf8");
      }
    }
    return this.templateText;
  }

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    const byTask = new Map<string, Row[]>();
    for (const r of batch) {
      const key = String(r.task_name);
      if (!byTask.has(key)) byTask.set(key, []);
      byTask.get(key)!.push(r);
    }
    const n = this.numPromptInstructions;
    const requests: Row[] = [];
    for (const [taskName, rows] of byTask) {
      // One stream per task's batch (the call holds one batch of each task): the same in every run.
      const rng = this.rngFor(rows[0]!, "examples");
      const key = rows[0]?.[DRAW_KEY];
      const examples = rng.choices(rows, n);
      const first = examples[0]!;
      const docs = first.document;
      const document = Array.isArray(docs) ? (docs.length ? rng.pick(docs) : "") : (docs ?? "");
      const header = renderTemplate(this.template(), {
        taxonomy: first.taxonomy_path ?? taskName,
        task_description: first.task_description ?? "",
        document,
      });
      requests.push({
        input: header + renderExamples(examples.map(triple)),
        gen_kwargs: { stop: [`* Task ${n + 2}`] },
        task_name: taskName,
        [DRAW_KEY]: key,
        examples,
      });
    }
    const answered = await this.block<LMProvider>("generator").call(requests);
    const records: Row[] = [];
    for (const r of answered) {
      if (r.error != null) continue;
      const examples = r.examples as Row[];
      parseInstructions(resultText(r.result), n).forEach((t, i) => {
        const base = examples[i % examples.length]!;
        records.push({
          task_name: r.task_name,
          is_seed: false,
          taxonomy_path: base.taxonomy_path,
          task_description: base.task_description,
          ...t,
          document: base.document ?? null,
        });
      });
    }
    if (records.length === 0) return [];
    // The validator judges the instruction; writing its view back onto `instruction` keeps `input` intact.
    const judged = await this.block<Block>("validator").call(records, {
      input_map: { instruction: "input" },
      output_map: { input: "instruction" },
    });
    return judged.filter((r) => r.is_valid !== false).map(pickRecord);
  }
}

function triple(row: Row): InstructionTriple {
  return { instruction: str(row.instruction), input: str(row.input), output: str(row.output) };
}

function pickRecord(row: Row): Row {
  const out: Row = { task_name: row.task_name, is_seed: false };
  for (const k of SIMPLE_FIELDS) out[k] = row[k] ?? (k === "document" ? null : "");
  return out;
}

const str = (v: unknown): string => (v == null ? "" : String(v));
