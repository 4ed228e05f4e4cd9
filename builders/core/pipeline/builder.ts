import {
  ConfigError,
  type Row,
  registerDataBuilder,
  renderTemplate,
  TransformationDataBuilder,
  ValidatorBlock,
} from "digit-sdg";
import { z } from "zod";
import { positionOf } from "../../../src/config/source-map.js";
import { checkTemplate } from "../../../src/templates/template.js";

const step = z.union([
  z.string().transform((name) => ({ name })),
  z.looseObject({
    name: z.string().min(1),
    prompt: z
      .string()
      .min(1)
      .optional()
      .describe("For an LM block: the user message, a template over the row's fields"),
    system_prompt: z
      .string()
      .min(1)
      .optional()
      .describe("For an LM block: the system message, a template over the row's fields"),
  }),
]);

/** The row field a templated step's messages are put in (never kept in the output). */
const PROMPT_FIELD = "__pipeline_prompt";

/**
 * Applies blocks to an existing dataset with no code: each batch of the task's `data` goes through
 * the `steps` blocks in order (a validator with `filter: true` removes rows), then the
 * `postprocessors` run once over everything (e.g. a ROUGE-L dedup). Output keeps the input order.
 * Fields a validator step adds (`is_valid`, `metadata`, its mapped inputs) are not kept; choose
 * the fields of the output with `output_fields` if needed.
 *
 * @example
 * # task.yaml
 * task_name: my/dedup
 * data_builder: core/pipeline
 * data: { type: default, data_path: questions.jsonl }
 * # override.yaml (--config-path)
 * databuilders:
 *   core/pipeline:
 *     blocks: [{ name: dedup, type: rouge_scorer, threshold: 0.7, filter: true, input_map: { question: input } }]
 *     postprocessors: [{ name: dedup }]
 *
 * An LM block step may give `prompt` (and `system_prompt`): templates over the row's fields,
 * sent as chat messages, e.g. `steps: [{ name: rater, prompt: "Rate: {{ question }}" }]`.
 */
@registerDataBuilder("core/pipeline")
export class PipelineBuilder extends TransformationDataBuilder {
  /** Each row goes through the steps on its own (each step block says whether it does too). */
  static override rowwise = true;
  static override configSchema = z.object({
    steps: z
      .array(step)
      .default([])
      .describe(
        "Names of the builder's blocks every batch goes through, in order (a name, or {name, ...call options})",
      ),
    output_fields: z
      .array(z.string())
      .optional()
      .describe("Fields the output records keep besides task_name (default: all)"),
  });

  static override checkConfig(config: Row, file: string): void {
    const names = new Set(((config.blocks as Row[]) ?? []).map((b) => String(b.name)));
    for (const s of (config.steps as Row[]) ?? []) {
      if (!names.has(String(s.name))) {
        throw new ConfigError(
          `pipeline step '${String(s.name)}' is not one of the builder's blocks`,
          {
            ...(positionOf(config.steps, 0) ?? { file }),
            hint: `define it under 'blocks:' (known: ${[...names].join(", ") || "none"})`,
          },
        );
      }
    }
    for (const s of (config.steps as Row[]) ?? []) {
      for (const key of ["prompt", "system_prompt"] as const) {
        if (typeof s[key] === "string")
          checkTemplate(s[key], {
            file: positionOf(s, key)?.file ?? file,
            name: `pipeline step '${String(s.name)}' ${key}`,
          });
      }
    }
    if (
      ((config.steps as Row[]) ?? []).length === 0 &&
      ((config.postprocessors as Row[]) ?? []).length === 0
    ) {
      throw new ConfigError("the core/pipeline builder has no steps and no postprocessors", {
        file,
        hint: "give it 'blocks:' plus 'steps:' and/or 'postprocessors:' in a --config-path override",
      });
    }
  }

  async call(batch: Row[]): Promise<Row[]> {
    let rows = batch.map((r) => ({ ...r }));
    for (const { name, prompt, system_prompt, ...rest } of this.config.steps as Row[]) {
      const block = this.block(String(name));
      let options: Row = rest;
      if (typeof prompt === "string") {
        // The rendered messages become the LM block's `input` for this call only.
        const where = { file: this.file, name: `pipeline step '${String(name)}'` };
        rows = rows.map((r) => ({
          ...r,
          [PROMPT_FIELD]: [
            ...(typeof system_prompt === "string"
              ? [{ role: "system", content: renderTemplate(system_prompt, r, where) }]
              : []),
            { role: "user", content: renderTemplate(prompt, r, where) },
          ],
        }));
        options = { method: "chat_completion", ...rest, input_map: { [PROMPT_FIELD]: "input" } };
      }
      const before = new Map(rows.map((r) => [r, new Set(Object.keys(r))]));
      rows = await block.call(rows, options);
      for (const r of rows) delete r[PROMPT_FIELD];
      if (block instanceof ValidatorBlock) {
        for (const r of rows)
          for (const k of Object.keys(r)) if (!before.get(r)?.has(k)) delete r[k];
      }
    }
    const fields = this.config.output_fields as string[] | undefined;
    if (!fields) return rows;
    return rows.map((r) =>
      Object.fromEntries(["task_name", ...fields].filter((k) => k in r).map((k) => [k, r[k]])),
    );
  }
}
