import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type Block,
  DRAW_KEY,
  GenerationDataBuilder,
  type GenerationTask,
  type InputBatch,
  type LMProvider,
  type Row,
  registerDataBuilder,
  renderTemplate,
  resultText,
  rowsByTask,
  type Task,
} from "digit-sdg";
import { z } from "zod";
import { chunk, judgeAll, judgeScore, templateDir } from "../shared/judge.js";
import { firstBlock, parseQuestions } from "./parse.js";

/**
 * Stop sequences of the skills prompts (DiGiT's template stop list).
 *
 * @example
 * gen_kwargs: { stop: SKILLS_STOP }
 */
export const SKILLS_STOP = ["</s>", "[/EXAMPLE]"];

/**
 * InstructLab skills: new instruction/response pairs from seed examples. Free-form seeds (no
 * `context`): per group of `num_icl_examples_per_prompt` examples, generate
 * `num_questions_to_generate_per_prompt` tasks, keep those the judge rates 1, answer each with one
 * example shown, keep answers rated above 1. Grounded seeds (any seed has `context`): first write a
 * new context per group, then the same on that context. A `tagger` block, when configured, adds
 * `tags`.
 *
 * @example
 * # task.yaml
 * data_builder: instructlab/skills
 * num_questions_to_generate_per_prompt: 5
 * seed_examples: [{ question: ..., answer: ... }]
 */
@registerDataBuilder("instructlab/skills")
export class SkillsBuilder extends GenerationDataBuilder {
  static override blockNames = ["generator", "validator"];
  static override outputFields = ["task_description", "instruction", "response", "context", "tags"];
  static override taskSchema = z.object({
    num_icl_examples_per_prompt: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("Examples per generation prompt"),
    num_questions_to_generate_per_prompt: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe("Tasks asked for per prompt"),
    prompt_templates_dir: z
      .string()
      .nullish()
      .describe("Folder with your own prompt templates (others fall back to the bundled ones)"),
  });

  override instantiateInput(task: Task, row: Row): Row {
    const out: Row = {
      task_description: String(task.spec.task_description ?? ""),
      instruction: String(row.question ?? row.instruction ?? ""),
      response: String(row.answer ?? row.response ?? ""),
    };
    if (typeof row.context === "string" && row.context.trim()) out.context = row.context;
    return out;
  }

  /** Examples come from `sample_examples` (seeds and earlier records), not the seed loop (as in DiGiT). */
  override async nextBatch(task: GenerationTask): Promise<InputBatch> {
    const rows = await task.sampleExamples(task.seedBatchSize + task.machineBatchSize);
    return {
      rows,
      position: { iter_index: task.checkpoint.iter_index, row_index: task.checkpoint.row_index },
    };
  }

  private render_(task: Task, name: string, vars: Row): string {
    const dir = templateDir(
      task.spec.prompt_templates_dir,
      resolve(this.dir, "prompt_templates"),
      existsSync,
      (m) => this.logger.warn(m),
    );
    const file = existsSync(resolve(dir, name))
      ? resolve(dir, name)
      : resolve(this.dir, "prompt_templates", name);
    return renderTemplate(readFileSync(file, "utf8"), vars, { file });
  }

  private async complete(prompts: Row[]): Promise<Row[]> {
    if (prompts.length === 0) return [];
    const out = await this.block<LMProvider>("generator").call(
      prompts.map((p) => ({ ...p, gen_kwargs: { stop: SKILLS_STOP } })),
    );
    return out.filter((r) => r.error == null);
  }

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    const results = await Promise.all(
      [...rowsByTask(batch)].map(([name, rows]) => this.generateFor(name, rows)),
    );
    return results.flat();
  }

  private async generateFor(taskName: string, rows: Row[]): Promise<Row[]> {
    const task = this.task(taskName);
    if (!task || rows.length === 0) return [];
    const k = Number(task.spec.num_icl_examples_per_prompt ?? 3);
    const nq = Number(task.spec.num_questions_to_generate_per_prompt ?? 5);
    const description = String(task.spec.task_description ?? "");
    // The batch's draw key on every request, so a scripted model (`mock`) answers by batch, not arrival.
    const key = rows[0]?.[DRAW_KEY];
    const grounded = rows.some((r) => typeof r.context === "string" && r.context.trim());
    const groups = chunk(grounded ? rows.filter((r) => r.context) : rows, k);

    // Grounded: a new context per group first.
    let contexts: (string | undefined)[] = groups.map(() => undefined);
    if (grounded) {
      const made = await this.complete(
        groups.map((g, i) => ({
          input: this.render_(task, "context.txt", { task_description: description, examples: g }),
          task_name: taskName,
          [DRAW_KEY]: key,
          group: i,
        })),
      );
      contexts = groups.map(() => undefined);
      for (const r of made)
        contexts[Number(r.group)] = firstBlock(resultText(r.result)) || undefined;
    }
    const live = groups
      .map((g, i) => ({ group: g, context: contexts[i] }))
      .filter((x) => !grounded || x.context);

    // Questions per group (on its context when grounded).
    const asked = await this.complete(
      live.map((x, i) => ({
        input: this.render_(task, "questions.txt", {
          task_description: description,
          examples: x.group,
          num_questions: nq,
          context: x.context,
        }),
        task_name: taskName,
        [DRAW_KEY]: key,
        group: i,
      })),
    );
    const questions: Row[] = [];
    // The batch's own stream, used in a fixed order: the same picks in every run with the seed.
    const rng = this.rngFor(rows[0]!, "examples");
    for (const r of asked) {
      const x = live[Number(r.group)]!;
      for (const q of parseQuestions(resultText(r.result)).slice(0, nq))
        questions.push({
          instruction: q,
          context: x.context,
          example: rng.pick(x.group),
          task_name: taskName,
        });
    }
    const validator = this.block<Block>("validator");
    const goodQuestions = await judgeAll(
      validator,
      questions.map((q) => ({
        ...q,
        input: this.render_(task, "question_validation.txt", {
          task_description: description,
          ...q,
        }),
      })),
      (reply) => judgeScore(reply) === 1,
    );

    // One answer each, with one example shown.
    const answered = await this.complete(
      goodQuestions.map((q, i) => ({
        input: this.render_(task, "answer.txt", { task_description: description, ...q }),
        task_name: taskName,
        [DRAW_KEY]: key,
        question: i,
      })),
    );
    const pairs: Row[] = [];
    for (const r of answered) {
      const q = goodQuestions[Number(r.question)]!;
      const response = firstBlock(resultText(r.result));
      if (response)
        pairs.push({
          instruction: q.instruction,
          context: q.context,
          response,
          task_name: taskName,
        });
    }
    const goodPairs = await judgeAll(
      validator,
      pairs.map((p) => ({
        ...p,
        input: this.render_(task, "answer_validation.txt", { task_description: description, ...p }),
      })),
      (reply) => (judgeScore(reply) ?? 0) > 1,
    );

    let records: Row[] = goodPairs.map((p) => {
      const rec: Row = {
        task_name: taskName,
        is_seed: false,
        task_description: description,
        instruction: p.instruction,
        response: p.response,
      };
      if (typeof p.context === "string" && p.context) rec.context = p.context;
      rec.tags = null;
      return rec;
    });
    const tagger = this.optionalBlock<Block>("tagger");
    if (tagger && records.length) records = await tagger.call(records);
    return records;
  }
}
