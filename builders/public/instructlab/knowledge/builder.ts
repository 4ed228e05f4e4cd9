import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type Block,
  ConfigError,
  createDatastore,
  DRAW_KEY,
  GenerationDataBuilder,
  type GenerationTask,
  type InputBatch,
  type LMProvider,
  type Registry,
  type Row,
  registerDataBuilder,
  renderTemplate,
  resultText,
  rowsByTask,
  type Task,
} from "digit-sdg";
import { z } from "zod";
import { chunk, judgeAll, templateDir } from "../shared/judge.js";
import { flattenDocuments, type KnowledgeDocument, prepareDocuments } from "./documents.js";
import { faithful, parseKnowledgeQA, relevant, verified } from "./parse.js";

const CRITERIA = {
  faithfulness: faithful,
  relevancy: relevant,
  question_verification: verified,
} as const;
type Criterion = keyof typeof CRITERIA;

/** Pairs asked for per FRQ/MCQ request. */
const QUESTIONS_PER_REQUEST = 3;

/**
 * InstructLab knowledge: question/answer pairs grounded in documents. Each batch takes the next
 * `num_docs_per_iteration` documents of the task (`documents:` inline, or `knowledge:` from a
 * datastore), prepares them (domain, references removed, optional word chunks), and asks the
 * generator for `[Question] … [Answer] … [End]` pairs: one request per document and group of
 * `num_icl_examples_per_prompt` examples (FRQ), or one per document (MCQ). Every pair is judged once
 * per criterion. The document position is kept in `knowledge_dataloader_state.jsonl`.
 *
 * @example
 * # task.yaml
 * data_builder: instructlab/knowledge
 * documents: { intro: ["Photosynthesis is ..."] }
 */
@registerDataBuilder("instructlab/knowledge")
export class KnowledgeBuilder extends GenerationDataBuilder {
  static override blockNames = ["generator", "validator"];
  static override outputFields = [
    "task_description",
    "domain",
    "question",
    "answer",
    "context",
    "tags",
  ];
  static override taskSchema = z.object({
    domain: z.string().nullish().describe("Domain added to each document (default the task name)"),
    chunk_size: z.number().int().default(-1).describe("Words per document chunk (-1: no chunking)"),
    loop_over: z.boolean().default(false).describe("Start the documents again when they run out"),
    documents: z
      .record(z.string(), z.unknown())
      .nullish()
      .describe("Mapping of groups to document texts, lists of them, or {content: ...} records"),
    knowledge: z
      .strictObject({
        datastore_config: z.record(z.string(), z.unknown()),
        fields: z.record(z.string(), z.string()).nullish(),
      })
      .nullish()
      .describe(
        "{datastore_config, fields: {content: <source field>}}: documents read from a datastore instead",
      ),
    num_icl_examples_per_prompt: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("Examples per generation prompt"),
    num_docs_per_iteration: z.number().int().min(1).default(100).describe("Documents per batch"),
    prompt_templates_dir: z
      .string()
      .nullish()
      .describe("Folder with your own prompt templates (default: the bundled ones)"),
    question_style: z
      .enum(["FRQ", "MCQ"])
      .default("FRQ")
      .describe("Free-response or multiple-choice questions"),
    criteria: z
      .array(z.enum(["faithfulness", "relevancy", "question_verification"]))
      .default(["faithfulness", "relevancy", "question_verification"])
      .describe("Checks each pair must pass"),
  });

  private readonly docs = new Map<string, KnowledgeDocument[]>();
  private readonly cursor = new Map<string, number>();
  private readonly batchDocs = new WeakMap<Row, KnowledgeDocument[]>();

  override instantiateInput(task: Task, row: Row): Row {
    return {
      task_description: String(task.spec.task_description ?? ""),
      domain: domainOf(task),
      question: String(row.question ?? ""),
      answer: String(row.answer ?? ""),
      context: row.context ?? null,
    };
  }

  override async setup(): Promise<void> {
    for (const t of this.tasks) {
      if (t.spec.documents == null && t.spec.knowledge == null)
        throw new ConfigError(`task '${t.name}' has neither 'documents' nor 'knowledge'`, {
          file: t.file,
          hint: "add documents: { group: [text, ...] } or knowledge: { datastore_config: { type: default, data_path: docs.jsonl } }",
        });
      const raw =
        t.spec.documents != null
          ? flattenDocuments(t.spec.documents as Row, domainOf(t))
          : await this.loadKnowledge(t);
      this.docs.set(t.name, prepareDocuments(raw, domainOf(t), Number(t.spec.chunk_size ?? -1)));
      const state = join(t.dir, "knowledge_dataloader_state.jsonl");
      if (t.restart) rmSync(state, { force: true });
      this.cursor.set(t.name, lastIndex(state));
    }
  }

  private async loadKnowledge(t: Task): Promise<Row[]> {
    const k = t.spec.knowledge as { datastore_config: Row; fields?: Record<string, string> | null };
    const registry = (t as unknown as { init: { registry: Registry } }).init.registry;
    const store = await createDatastore(registry, {
      type: "default",
      ...k.datastore_config,
      store_name: `${t.storeName}/knowledge_data`,
    });
    const fields = k.fields ?? {};
    return (await store.readAll()).map((r) => {
      const doc: Row = { ...r };
      for (const [to, from] of Object.entries(fields)) doc[to] = r[from];
      if (typeof doc.content !== "string") doc.content = typeof r.text === "string" ? r.text : "";
      return doc;
    });
  }

  /** ICL examples from `sample_examples`, plus the next documents (kept aside for `call`). */
  override async nextBatch(task: GenerationTask): Promise<InputBatch> {
    const position = {
      iter_index: task.checkpoint.iter_index,
      row_index: task.checkpoint.row_index,
    };
    const all = this.docs.get(task.name) ?? [];
    let at = this.cursor.get(task.name) ?? 0;
    if (at >= all.length) {
      if (task.spec.loop_over !== true || all.length === 0) return { rows: [], position };
      at = 0;
    }
    const n = Number(task.spec.num_docs_per_iteration ?? 100);
    const docs = all.slice(at, at + n);
    this.cursor.set(task.name, at + docs.length);
    appendFileSync(
      join(task.dir, "knowledge_dataloader_state.jsonl"),
      `${JSON.stringify({ index: at + docs.length })}\n`,
    );
    let rows = await task.sampleExamples(task.seedBatchSize + task.machineBatchSize);
    if (rows.length === 0)
      rows = [{ task_name: task.name, is_seed: true, question: "", answer: "" }];
    rows = rows.map((r) => ({ ...r }));
    this.batchDocs.set(rows[0]!, docs);
    return { rows, position };
  }

  private template(task: Task, name: string, vars: Row): string {
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

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    const results = await Promise.all(
      [...rowsByTask(batch)].map(([name, rows]) => this.generateFor(name, rows)),
    );
    return results.flat();
  }

  private async generateFor(taskName: string, rows: Row[]): Promise<Row[]> {
    const task = this.task(taskName);
    const docs = rows[0] ? this.batchDocs.get(rows[0]) : undefined;
    if (!task || !docs?.length) return [];
    const examples = rows.filter((r) => r.question && r.answer);
    const k = Number(task.spec.num_icl_examples_per_prompt ?? 3);
    const mcq = task.spec.question_style === "MCQ";
    const domain = domainOf(task);
    // The batch's draw key on every request, so a scripted model (`mock`) answers by batch, not arrival.
    const key = rows[0]?.[DRAW_KEY];

    const requests: Row[] = [];
    // The batch's own stream: the same example groups in every run with the seed.
    const rng = this.rngFor(rows[0]!, "examples");
    for (const doc of docs) {
      const groups = mcq
        ? [rng.sample(examples, Math.min(k, examples.length))]
        : chunk(rng.sample(examples, examples.length), k);
      for (const g of groups.length ? groups : [[]]) {
        requests.push({
          input: this.template(task, mcq ? "mcq.txt" : "frq.txt", {
            domain,
            examples: g,
            document: doc.content,
            num_questions: QUESTIONS_PER_REQUEST,
          }),
          task_name: taskName,
          [DRAW_KEY]: key,
          doc,
        });
      }
    }
    const answered = await this.block<LMProvider>("generator").call(requests);
    let pairs: Row[] = [];
    for (const r of answered) {
      if (r.error != null) continue;
      for (const qa of parseKnowledgeQA(resultText(r.result)))
        pairs.push({ ...qa, doc: r.doc, task_name: taskName });
    }
    const validator = this.block<Block>("validator");
    for (const criterion of (task.spec.criteria as Criterion[] | undefined) ?? [
      "faithfulness",
      "relevancy",
      "question_verification",
    ]) {
      pairs = await judgeAll(
        validator,
        pairs.map((p) => ({
          ...p,
          criterion,
          input: this.template(task, `${criterion}.txt`, {
            domain,
            question: p.question,
            answer: p.answer,
            document: (p.doc as KnowledgeDocument).content,
          }),
        })),
        CRITERIA[criterion],
      );
    }
    let records: Row[] = pairs.map((p) => ({
      task_name: taskName,
      is_seed: false,
      task_description: String(task.spec.task_description ?? ""),
      domain,
      question: p.question,
      answer: p.answer,
      context: p.doc,
      tags: null,
    }));
    const tagger = this.optionalBlock<Block>("tagger");
    if (tagger && records.length) records = await tagger.call(records);
    return records;
  }
}

function domainOf(task: Task): string {
  return String(task.spec.domain ?? task.name);
}

function lastIndex(file: string): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
  try {
    return Number((JSON.parse(lines.at(-1) ?? "{}") as { index?: number }).index ?? 0);
  } catch {
    return 0;
  }
}
