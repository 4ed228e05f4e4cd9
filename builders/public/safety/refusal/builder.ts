import { existsSync } from "node:fs";
import {
  type Block,
  DRAW_KEY,
  GenerationDataBuilder,
  MissingFileError,
  type Row,
  registerDataBuilder,
  resultText,
  rowsByTask,
  type Task,
} from "digit-sdg";
import { z } from "zod";
import { loadRiskPolicy, policyMetadata, type RiskPolicy } from "./policy.js";
import { splitQuestions } from "./split.js";

/**
 * Record fields of `public/safety/refusal` (DiGiT's SafetyRefusalData), after task_name/is_seed.
 *
 * @example
 * static override outputFields = [...REFUSAL_FIELDS];
 */
export const REFUSAL_FIELDS = [
  "task_description",
  "instruction",
  "response",
  "source",
  "metadata",
] as const;

/**
 * Harmful request / calibrated refusal pairs for one risk of a policy file. Per task and batch:
 * one request to `instruction_generator` for `num_samples_per_batch` new requests (three seed or
 * earlier examples shown), `dedup` against each other and the batch's requests (call-time
 * `context`), `granite_guardian` keeps the requests it rates risky, `response_generator` writes a
 * refusal for each, and `granite_guardian` keeps the refusals it rates safe. Records carry the
 * risk's policy metadata.
 *
 * @example
 * # task.yaml
 * data_builder: public/safety/refusal
 * risk_policy: { path: policies.yaml, risk: spam_phishing_sextortion_campaigns }
 */
@registerDataBuilder("public/safety/refusal")
export class SafetyRefusalBuilder extends GenerationDataBuilder {
  static override blockNames = [
    "instruction_generator",
    "dedup",
    "response_generator",
    "granite_guardian",
  ];
  static override outputFields = [...REFUSAL_FIELDS];
  static override taskSchema = z.object({
    risk_policy: z
      .strictObject({ path: z.string().min(1), risk: z.string().nullish() })
      .describe("{path: policy YAML, risk: risk name or id (default the first)}"),
    num_icl_examples: z
      .number()
      .int()
      .min(1, "num_icl_examples must be at least 1")
      .default(3)
      .describe("Example requests shown in each generation prompt"),
    num_samples_per_batch: z
      .number()
      .int()
      .min(1, "num_samples_per_batch must be at least 1")
      .default(5)
      .describe("New requests asked for per generation prompt"),
  });

  private readonly policies = new Map<string, RiskPolicy>();

  override instantiateInput(task: Task, row: Row): Row {
    return {
      task_description: String(task.spec.task_description ?? ""),
      instruction: String(row.instruction ?? row.question ?? ""),
      response: String(row.response ?? row.answer ?? ""),
      source: row.source === "machine" ? "machine" : "seed",
      metadata: row.metadata && typeof row.metadata === "object" ? row.metadata : {},
    };
  }

  /** Load each task's policy up front, so a bad path fails before any request. */
  override async setup(): Promise<void> {
    for (const t of this.tasks) {
      const rp = t.spec.risk_policy as { path: string; risk?: string | null };
      if (!existsSync(rp.path))
        throw new MissingFileError(rp.path, "risk policy file", {
          file: t.file,
          hint: "set risk_policy.path to an existing policy YAML (${DGT_DATA_DIR} is expanded)",
        });
      this.policies.set(t.name, loadRiskPolicy(rp.path, rp.risk));
    }
  }

  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    const results = await Promise.all(
      [...rowsByTask(batch)].map(([name, rows]) => this.generateFor(name, rows)),
    );
    return results.flat();
  }

  private async generateFor(taskName: string, rows: Row[]): Promise<Row[]> {
    const task = this.task(taskName);
    const policy = this.policies.get(taskName);
    if (!task || !policy) return [];
    const k = Number(task.spec.num_icl_examples ?? 3);
    const wanted = Number(task.spec.num_samples_per_batch ?? 5);
    const guardian = this.block<Block>("granite_guardian");
    // The batch's draw key on every request, so a scripted model (`mock`) answers by batch, not arrival.
    const key = rows[0]?.[DRAW_KEY];

    // 1. New requests from examples and the policy.
    // Drawn from the batch's own stream, so the same in every run with the seed.
    const examples = this.rngFor(rows[0]!, "examples")
      .choices(rows, k)
      .map((r) => String(r.instruction));
    const prompt = this.render("prompt_templates/generate_instructions.txt", {
      ...policy,
      examples,
      num_samples: wanted,
    });
    const [generated] = await this.block<Block>("instruction_generator").call(
      [{ input: [{ role: "user", content: prompt }], task_name: taskName, [DRAW_KEY]: key }],
      { method: "chat_completion" },
    );
    if (!generated || generated.error != null) return [];
    let candidates: Row[] = splitQuestions(resultText(generated.result))
      .slice(0, wanted)
      .map((instruction) => ({ input: instruction, instruction, task_name: taskName }));
    if (candidates.length === 0) return [];

    // 2. Near-duplicates of each other or of the batch's requests go.
    const context = [...new Set(rows.map((r) => String(r.instruction)).filter(Boolean))];
    candidates = await this.block<Block>("dedup").call(candidates, { context });

    // 3. Keep the requests the guardian rates risky.
    const judged = await guardian.call(
      candidates.map((c) => ({
        input: c.instruction,
        task_name: taskName,
        [DRAW_KEY]: key,
        instruction: c.instruction,
      })),
    );
    const harmful = judged.filter((r) => label(r) === "unsafe").map((r) => String(r.instruction));
    if (harmful.length === 0) return [];

    // 4. A refusal for each.
    const answered = await this.block<Block>("response_generator").call(
      harmful.map((instruction) => ({
        input: [
          {
            role: "user",
            content: this.render("prompt_templates/generate_response.txt", {
              ...policy,
              instruction,
            }),
          },
        ],
        instruction,
        task_name: taskName,
        [DRAW_KEY]: key,
      })),
      { method: "chat_completion" },
    );
    const pairs = answered
      .filter((r) => r.error == null)
      .map((r) => ({ instruction: String(r.instruction), response: resultText(r.result).trim() }))
      .filter((p) => p.response);

    // 5. Keep the refusals the guardian rates safe.
    const checked = await guardian.call(
      pairs.map((p) => ({
        input: p.instruction,
        response: p.response,
        task_name: taskName,
        [DRAW_KEY]: key,
      })),
    );
    const meta = policyMetadata(policy);
    return checked
      .filter((r) => label(r) === "safe")
      .map((r) => ({
        task_name: taskName,
        is_seed: false,
        task_description: String(task.spec.task_description ?? ""),
        instruction: String(r.input),
        response: String(r.response),
        source: "machine",
        metadata: { ...meta },
      }));
  }
}

function label(row: Row): unknown {
  return (row.metadata as Row | null | undefined)?.label;
}
