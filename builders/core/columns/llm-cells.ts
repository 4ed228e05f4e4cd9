import type { ValidateFunction } from "ajv";
import { DRAW_KEY, type LMProvider, type Row, renderTemplate, resultText } from "digit-sdg";
import type { ChatMessage } from "../../../src/blocks/lm/provider.js";
import { runToolLoop, type ToolTraceEntry } from "../../../src/tools/tool-loop.js";
import type { LlmCodeColumn, LlmColumn, LlmJudgeColumn, LlmStructuredColumn } from "./schema.js";
import type { ColumnTools } from "./tools.js";
import { compileSchema, schemaErrors } from "./validators.js";

/**
/**
 * A cell's outcome: its value, or why the record cannot be kept (`countedBy`: the block that
 * already counted the refusal, a model whose request failed); with the tool calls its requests
 * made when the column has `tools:`.
 */
export type CellOutcome = ({ value: unknown } | { rejected: string; countedBy?: string }) & {
  trace?: ToolTraceEntry[] | undefined;
};

/** What an LLM cell needs besides its column. */
export interface LlmCellContext {
  model: LMProvider;
  /** The record so far: input fields and the values of the columns it reads. */
  variables: Record<string, unknown>;
  /** The record's draw key (the mock provider answers by it). */
  drawKey: string;
  taskName: string;
  file?: string | undefined;
  signal?: AbortSignal | undefined;
  /** The column's tools, when it has `tools:`: its requests run a tool loop. */
  tools?: ColumnTools | undefined;
}

/** Provider types with a structured-output request (`response_format`, translated per provider). */
const STRUCTURED_PROVIDERS = new Set([
  "openai",
  "azure-openai",
  "vllm",
  "vllm-remote",
  "vllm-server",
  "anthropic",
  "ollama",
]);

/**
 * Run one LLM cell: render its prompts, send one chat request (more for structured and judge
 * columns whose reply does not fit), and turn the reply into the cell's value.
 *
 * @example
 * const out = await runLlmCell(column, { model, variables: record, drawKey, taskName });
 */
export async function runLlmCell(column: LlmColumn, ctx: LlmCellContext): Promise<CellOutcome> {
  if (!ctx.tools) return cellValue(column, ctx, undefined);
  const trace: ToolTraceEntry[] = [];
  const outcome = await cellValue(column, ctx, trace);
  return { ...outcome, trace };
}

async function cellValue(
  column: LlmColumn,
  ctx: LlmCellContext,
  trace: ToolTraceEntry[] | undefined,
): Promise<CellOutcome> {
  const source = { file: ctx.file };
  const system =
    column.system_prompt === undefined
      ? undefined
      : renderTemplate(column.system_prompt, ctx.variables, {
          ...source,
          name: `column '${column.name}' system_prompt`,
        });
  const prompt = renderTemplate(column.prompt, ctx.variables, {
    ...source,
    name: `column '${column.name}' prompt`,
  });
  switch (column.type) {
    case "llm_text": {
      const reply = await ask(column, ctx, messages(system, prompt), {}, trace);
      return "rejected" in reply ? reply : { value: reply.text.trim() };
    }
    case "llm_code": {
      const reply = await ask(column, ctx, messages(system, prompt), {}, trace);
      return "rejected" in reply ? reply : { value: extractCode(reply.text, column.code_lang) };
    }
    case "llm_structured":
      return structured(
        column,
        ctx,
        system,
        prompt,
        column.output_format,
        column.max_attempts,
        (v) => v,
        trace,
      );
    case "llm_judge": {
      let schema = judgeSchemas.get(column);
      if (!schema) judgeSchemas.set(column, (schema = judgeSchema(column)));
      const rubric = judgeRecipe(column);
      return structured(
        column,
        ctx,
        system,
        `${prompt}\n\n${rubric}`,
        schema,
        column.max_attempts,
        (v) => normaliseScores(column, v as Row),
        trace,
      );
    }
  }
}

function messages(system: string | undefined, prompt: string): ChatMessage[] {
  return [
    ...(system === undefined ? [] : [{ role: "system", content: system }]),
    { role: "user", content: prompt },
  ];
}

/**
 * One chat request for the cell; a request that failed (after the provider's retries) rejects the
 * record. With tools, the request is a tool loop (`askWithTools`).
 */
async function ask(
  column: LlmColumn,
  ctx: LlmCellContext,
  input: ChatMessage[],
  extra: Row,
  trace: ToolTraceEntry[] | undefined,
): Promise<{ text: string } | { rejected: string; countedBy?: string }> {
  const row: Row = {
    ...ctx.variables,
    task_name: ctx.taskName,
    input,
    gen_kwargs: { ...(column.gen_kwargs ?? {}), ...extra },
    [DRAW_KEY]: ctx.drawKey,
  };
  if (ctx.tools && trace) return askWithTools(column, ctx, ctx.tools, row, trace);
  const [out] = await ctx.model.call([row], {
    method: "chat_completion",
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  if (!out || typeof out.error === "string")
    return {
      rejected: `model '${ctx.model.name}' failed: ${String(out?.error ?? "no answer")}`,
      countedBy: ctx.model.name,
    };
  return { text: resultText(out.result) };
}

/**
 * The model answers with the column's tools at hand: its calls run through the task's engines in a
 * bounded loop and land in `trace`. The record is rejected when the model request fails, a tool's
 * server went away or could not be reached, or the model still calls tools after
 * `max_tool_rounds`; a tool that answers with an error, times out or gets bad arguments is told to
 * the model, which may try again.
 */
async function askWithTools(
  column: LlmColumn,
  ctx: LlmCellContext,
  tools: ColumnTools,
  row: Row,
  trace: ToolTraceEntry[],
): Promise<{ text: string } | { rejected: string }> {
  const { input, ...fields } = row;
  const sessionId = `${ctx.taskName}:${ctx.drawKey}:${column.name}:${trace.length}`;
  try {
    const out = await runToolLoop({
      lm: ctx.model,
      messages: input as ChatMessage[],
      tools: tools.offered,
      engine: tools.engine,
      sessionId,
      maxTurns: tools.maxRounds,
      callTimeoutMs: tools.callTimeoutMs,
      row: fields,
      signal: ctx.signal,
    });
    trace.push(...out.trace);
    const down = out.trace.find((t) => t.unreachable);
    if (down)
      return { rejected: `tool '${down.namespace}/${down.name}' could not be run: ${down.error}` };
    if (out.exhausted)
      return {
        rejected: `the model still called tools after max_tool_rounds (${tools.maxRounds})`,
      };
    return { text: out.reply };
  } catch (e) {
    return { rejected: `model '${ctx.model.name}' failed: ${(e as Error).message}` };
  } finally {
    await tools.engine.teardown(sessionId);
  }
}

/**
 * A JSON reply that fits `schema`: sent with the provider's structured-output request where it
 * has one, always with the schema in the prompt (the recipe); a reply that does not parse or fit
 * is asked again, up to `attempts` requests, then the record is rejected with the last reason.
 */
async function structured(
  column: LlmColumn,
  ctx: LlmCellContext,
  system: string | undefined,
  prompt: string,
  schema: Record<string, unknown>,
  attempts: number,
  finish: (v: unknown) => unknown,
  trace: ToolTraceEntry[] | undefined,
): Promise<CellOutcome> {
  const validate = validatorFor(schema);
  const recipe = `${prompt}\n\nReply with only a JSON object that fits this JSON Schema, no other text:\n${JSON.stringify(schema)}`;
  const extra: Row = STRUCTURED_PROVIDERS.has(ctx.model.type)
    ? {
        response_format: {
          type: "json_schema",
          json_schema: { name: column.name, schema, strict: false },
        },
      }
    : {};
  let why = "";
  for (let i = 0; i < attempts; i++) {
    const reply = await ask(column, ctx, messages(system, recipe), extra, trace);
    if ("rejected" in reply) return reply;
    const parsed = parseJsonReply(reply.text);
    if (parsed === undefined)
      why = `the reply is not a JSON object: ${JSON.stringify(reply.text.slice(0, 200))}`;
    else if (!validate(parsed))
      why = `the reply does not fit the schema: ${schemaErrors(validate as ValidateFunction)}`;
    else return { value: finish(parsed) };
  }
  return { rejected: `${why} (after ${attempts} attempt${attempts === 1 ? "" : "s"})` };
}

const validators = new WeakMap<object, ValidateFunction>();

/**
 * A schema's compiled validator, compiled once per schema object (compiling costs milliseconds).
 */
function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = compileSchema(schema, (m) => new Error(m))));
  return v;
}

const judgeSchemas = new WeakMap<LlmJudgeColumn, Record<string, unknown>>();

/**
 * The JSON object in a model reply: the whole reply, a fenced block, or the outermost braces.
 *
 * @example
 * parseJsonReply('Sure:\n```json\n{"a": 1}\n```') // { a: 1 }
 */
export function parseJsonReply(text: string): Row | undefined {
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(text);
  if (fenced) candidates.push(fenced[1]!.trim());
  const first = text.indexOf("{");
  const last = text.lastIndexOf("}");
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  for (const c of candidates) {
    try {
      const v: unknown = JSON.parse(c);
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Row;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

const FENCE_NAMES: Readonly<Record<string, readonly string[]>> = {
  javascript: ["javascript", "js", "jsx", "mjs"],
  typescript: ["typescript", "ts", "tsx"],
  python: ["python", "py"],
  sql: ["sql", "sqlite", "postgres", "postgresql", "mysql"],
  json: ["json"],
  bash: ["bash", "sh", "shell"],
};

/**
 * The code of `lang` in a model reply: the first fenced block tagged with that language, else the
 * first fenced block, else the whole reply.
 *
 * @example
 * extractCode("Here:\n```python\nprint(1)\n```", "python") // "print(1)"
 */
export function extractCode(text: string, lang: string): string {
  const key = lang.toLowerCase().replace(/^sql:.*/, "sql");
  const names = Object.values(FENCE_NAMES).find((n) => n.includes(key)) ?? [key];
  const blocks = [...text.matchAll(/```([^\n`]*)\n([\s\S]*?)```/g)].map((m) => ({
    tag: m[1]!.trim().toLowerCase(),
    code: m[2]!.replace(/\n$/, ""),
  }));
  const tagged = blocks.find((b) => names.includes(b.tag));
  return (tagged ?? blocks[0])?.code ?? text.trim();
}

/** The JSON Schema a judge reply must fit: per score, its reasoning and one of its options. */
function judgeSchema(column: LlmJudgeColumn): Record<string, unknown> {
  const properties: Row = {};
  for (const s of column.scores) {
    const keys = Object.keys(s.options);
    const allowed = [...keys, ...keys.filter((k) => /^-?\d+(\.\d+)?$/.test(k)).map(Number)];
    properties[s.name] = {
      type: "object",
      properties: { reasoning: { type: "string" }, score: { enum: allowed } },
      required: ["reasoning", "score"],
    };
  }
  return { type: "object", properties, required: column.scores.map((s) => s.name) };
}

/** The rubric appended to a judge's prompt. */
function judgeRecipe(column: LlmJudgeColumn): string {
  const lines = column.scores.map(
    (s) =>
      `${s.name}: ${s.description}\n${Object.entries(s.options)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join("\n")}`,
  );
  return `Score the above on each of these criteria, choosing one of the listed scores:\n${lines.join("\n")}\nFor each criterion give a short reasoning and the score.`;
}

/** Scores as their option keys' type (numbers when the options are numbers). */
function normaliseScores(column: LlmJudgeColumn, value: Row): Row {
  const out: Row = {};
  for (const s of column.scores) {
    const v = value[s.name] as Row;
    const numeric = Object.keys(s.options).every((k) => /^-?\d+(\.\d+)?$/.test(k));
    out[s.name] = {
      score: numeric ? Number(v.score) : String(v.score),
      reasoning: String(v.reasoning),
    };
  }
  return out;
}

export type { LlmCodeColumn, LlmStructuredColumn };
