import { z } from "zod";
import { toolsSectionSchema } from "../../../src/tools/config.js";
import { samplingSettingsSchema } from "./sampling/index.js";

/** A column or field name a template can read: `{{ name }}`. */
const columnName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "must be a name a template can read: letters, digits and _, not starting with a digit",
  )
  .describe("The column's name (the record field it fills)");

/** Keys every column has, whatever its type. */
export const commonColumnShape = {
  name: columnName,
  type: z
    .string()
    .describe(
      "The column type (sampler, expression, llm_text, llm_code, llm_structured, llm_judge, validation, seed)",
    ),
  drop: z
    .boolean()
    .default(false)
    .describe("Generate and use the column, then leave it out of the output"),
  skip_when: z
    .string()
    .optional()
    .describe(
      "A template condition; when it renders truthy the cell is skipped (null) and so are cells that read it",
    ),
};

/** The LLM settings shared by the LLM column types. */
const llmShape = {
  ...commonColumnShape,
  model: z
    .string()
    .min(1)
    .describe(
      "A model from the builder's or task's `models:` list (or an LM block of the builder)",
    ),
  prompt: z.string().min(1).describe("The user message: a template over other columns"),
  system_prompt: z
    .string()
    .optional()
    .describe("The system message: a template over other columns"),
  gen_kwargs: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("Generation parameters for this column's requests (temperature, max_tokens, ...)"),
  tools: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      "Tools the model may call: namespaces (calc, calc/*), tools (calc/add) or *; " +
        "the calls go to <column>__trace",
    ),
  max_tool_rounds: z
    .number()
    .int()
    .min(1)
    .default(4)
    .describe("Rounds of tool calls per request before the record is rejected"),
  tool_call_timeout: z
    .number()
    .positive()
    .default(30)
    .describe("Seconds one round of tool calls may take (a late call fails, the model is told)"),
};

/**
 * The side column that keeps the tool calls of an LLM column with `tools:`.
 *
 * @example
 * traceColumnName("answer") // "answer__trace"
 */
export function traceColumnName(column: string): string {
  return `${column}__trace`;
}

/**
 * An `expression` column: a template over other columns, converted to `dtype`.
 *
 * @example
 * expressionColumn.parse({ name: "greeting", type: "expression", expr: "Hi {{ first_name }}" })
 */
export const expressionColumn = z.strictObject({
  ...commonColumnShape,
  type: z.literal("expression"),
  expr: z.string().min(1).describe("The template whose output is the value"),
  dtype: z
    .enum(["str", "int", "float", "bool", "json"])
    .default("str")
    .describe("How the rendered text is converted"),
});

/** An `llm_text` column: the model's reply, as text. */
export const llmTextColumn = z.strictObject({ ...llmShape, type: z.literal("llm_text") });

/** An `llm_code` column: the code in the model's reply, for one language. */
export const llmCodeColumn = z.strictObject({
  ...llmShape,
  type: z.literal("llm_code"),
  code_lang: z
    .string()
    .min(1)
    .describe(
      "The language of the code to extract (python, javascript, typescript, sql, json, ...)",
    ),
});

/** An `llm_structured` column: a JSON object that fits `output_format`. */
export const llmStructuredColumn = z.strictObject({
  ...llmShape,
  type: z.literal("llm_structured"),
  output_format: z
    .record(z.string(), z.unknown())
    .describe("A JSON Schema the reply must fit; its fields are {{ column.field }}"),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe("Requests per cell before the record is rejected"),
});

const judgeScore = z.strictObject({
  name: columnName.describe("The score's name: {{ column.name.score }}"),
  description: z.string().min(1).describe("What the score measures"),
  options: z
    .record(z.string(), z.string())
    .refine((o) => Object.keys(o).length >= 2, "needs at least two options")
    .describe("Allowed scores and what each means"),
});

/** An `llm_judge` column: named scores, each one of its options, with the judge's reasoning. */
export const llmJudgeColumn = z.strictObject({
  ...llmShape,
  type: z.literal("llm_judge"),
  scores: z.array(judgeScore).min(1).describe("The scores the judge gives"),
  max_attempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe("Requests per cell before the record is rejected"),
});

/** The checks a validation column can run. */
export const VALIDATOR_TYPES = ["length", "regex", "json_schema", "code"] as const;

/**
 * A `validation` column: checks on other columns; with `filter: true`, failing records are dropped.
 */
export const validationColumn = z.strictObject({
  ...commonColumnShape,
  type: z.literal("validation"),
  target_columns: z.array(z.string().min(1)).min(1).describe("The columns checked"),
  validator_type: z.enum(VALIDATOR_TYPES).describe("length, regex, json_schema or code"),
  params: z
    .record(z.string(), z.unknown())
    .default({})
    .describe(
      "The check's settings (length: min/max; regex: pattern/flags; json_schema: schema; code: code_lang)",
    ),
  filter: z.boolean().default(false).describe("Drop records that fail into blocks/<column>.jsonl"),
});

/** A `seed` column: a field of a seed record (the task's seed_examples or seed_datastore). */
export const seedColumn = z.strictObject({
  ...commonColumnShape,
  type: z.literal("seed"),
  field: z
    .string()
    .min(1)
    .optional()
    .describe("The seed record's field (default: the column's name)"),
});

/** Every column type but `sampler` (whose schema the sampler library owns). */
export const NON_SAMPLER_COLUMNS = {
  expression: expressionColumn,
  llm_text: llmTextColumn,
  llm_code: llmCodeColumn,
  llm_structured: llmStructuredColumn,
  llm_judge: llmJudgeColumn,
  validation: validationColumn,
  seed: seedColumn,
} as const;

/** Every column type name. */
export const COLUMN_TYPES = ["sampler", ...Object.keys(NON_SAMPLER_COLUMNS)] as const;

export type ExpressionColumn = z.output<typeof expressionColumn>;
export type LlmTextColumn = z.output<typeof llmTextColumn>;
export type LlmCodeColumn = z.output<typeof llmCodeColumn>;
export type LlmStructuredColumn = z.output<typeof llmStructuredColumn>;
export type LlmJudgeColumn = z.output<typeof llmJudgeColumn>;
export type ValidationColumn = z.output<typeof validationColumn>;
export type SeedColumn = z.output<typeof seedColumn>;
export type LlmColumn = LlmTextColumn | LlmCodeColumn | LlmStructuredColumn | LlmJudgeColumn;

/** A sampler column as the builder sees it (its own keys are the sampler library's). */
export interface SamplerColumnEntry {
  name: string;
  type: "sampler";
  drop: boolean;
  skip_when?: string | undefined;
  /** The column as the sampler library parsed it. */
  sampler: Record<string, unknown>;
}

/** Any parsed column. */
export type Column =
  | SamplerColumnEntry
  | ExpressionColumn
  | LlmColumn
  | ValidationColumn
  | SeedColumn;

/** Processors run on finished records. */
const dropColumnsProcessor = z.strictObject({
  type: z.literal("drop_columns"),
  name: z
    .string()
    .min(1)
    .default("dropped_columns")
    .describe("Name of the side file (<task>/<name>.jsonl)"),
  columns: z
    .array(z.string().min(1))
    .min(1)
    .describe(
      "Columns removed from the output; their values go to the side file with the record id",
    ),
});

const schemaTransformProcessor = z.strictObject({
  type: z.literal("schema_transform"),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .describe("Name of the second output (<task>/<name>.jsonl)"),
  template: z
    .record(z.string(), z.unknown())
    .describe(
      "The reshaped record: strings are templates over the record's columns, lists and mappings nest",
    ),
});

/**
 * A task's `processors:` entry.
 *
 * @example
 * processorSchema.parse({ type: "drop_columns", columns: ["persona"] })
 */
export const processorSchema = z.discriminatedUnion("type", [
  dropColumnsProcessor,
  schemaTransformProcessor,
]);
export type Processor = z.output<typeof processorSchema>;

/**
 * Task YAML keys of core/columns tasks. `columns` entries are checked one by one against their
 * type's schema (see `parseColumns`), so an error names the column and its line.
 */
export const columnsTaskShape = {
  columns: z
    .array(z.looseObject({ name: z.string(), type: z.string() }))
    .min(1)
    .describe("The columns of each record, in any order (dependencies decide the order)"),
  models: z
    .array(z.looseObject({ name: z.string().min(1), type: z.string().min(1) }))
    .default([])
    .describe("LM provider blocks the columns may name as `model` (any provider block config)"),
  ...samplingSettingsSchema.shape,
  seed_sampling: z
    .strictObject({
      with_replacement: z
        .boolean()
        .default(false)
        .describe(
          "Draw seed records independently (true) or go through a shuffled order before repeating (false)",
        ),
    })
    .default({ with_replacement: false })
    .describe("How `seed` columns pick the seed record of each record"),
  processors: z
    .array(processorSchema)
    .default([])
    .describe("drop_columns and schema_transform processors"),
  tools: toolsSectionSchema
    .optional()
    .describe(
      "Tools LLM columns may call: registry, engines, enrichments " +
        "(added to the builder's; docs/tools.md)",
    ),
};
