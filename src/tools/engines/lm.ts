import { z } from "zod";
import type { Block } from "../../blocks/block.js";
import { parseJsonLoose } from "../../util/json-loose.js";
import { violations } from "../../util/json-schema.js";
import type { Row } from "../../util/mapping.js";
import { Random } from "../../util/random.js";
import { lmCandidates } from "../lm-candidates.js";
import { propsOf } from "../registry.js";
import { exampleValue } from "../schema-example.js";
import {
  callToDict,
  qualifiedName,
  type Tool,
  type ToolCall,
  type ToolResult,
  toolToDict,
} from "../types.js";
import {
  defineEngine,
  type EngineContext,
  type ExecuteOptions,
  failed,
  Sessions,
  type ToolEngine,
} from "./engine.js";

const errorCategory = z.object({
  type: z.string().min(1).describe("network_error, unparseable_result, or any label"),
  probability: z.number().min(0).max(1).describe("Chance that a call fails this way"),
  message: z.string().default("Tool execution failed").describe("The error text of the result"),
});

const schema = z.object({
  lm_config: z
    .looseObject({ type: z.string().min(1) })
    .describe("The LM block that plays the tools"),
  error_categories: z
    .array(errorCategory)
    .default([])
    .describe("Injected failures (DiGiT's ErrorCategory)"),
});

const SYSTEM = [
  "You play a software tool. Given the tool's specification and a call of it, reply with the",
  "JSON object the tool would return for that call: realistic values, consistent with earlier",
  "results in this conversation, and with the fields of the tool's output_parameters when it",
  'declares them. If the call cannot succeed, reply {"error": "<why>"}. Reply with JSON only.',
].join(" ");

interface Exchange {
  call: ToolCall;
  tool: Tool | undefined;
  result: ToolResult;
}

/**
 * `type: lm`: an LLM simulates each tool from its schema (DiGiT's `lm` engine). The conversation's
 * earlier calls and results are in the prompt so results stay consistent. Of the model's
 * candidates (its `n`), the first that is a JSON object fitting `output_parameters` wins (fields
 * the schema does not name are dropped, as are empty values); `{"error": ...}` replies become
 * error results.
 */
export class LmToolEngine implements ToolEngine {
  private readonly sessions = new Sessions<Exchange[]>(() => []);
  private readonly rng = new Random("lm-tool-engine");

  constructor(
    private readonly lm: Block,
    private readonly config: z.infer<typeof schema>,
    private readonly ctx: EngineContext,
  ) {}

  setup(id: string): void {
    this.sessions.setup(id);
  }

  teardown(id: string): void {
    this.sessions.teardown(id);
  }

  async execute(
    id: string,
    calls: ToolCall[],
    options: ExecuteOptions = {},
  ): Promise<ToolResult[]> {
    return this.sequence(calls, this.sessions.of(id), this.rng, options);
  }

  /**
   * The results `execute` would give, on a copy of the session's history: the session, and the
   * draws of later `execute` calls, stay as they were. Injected failures are drawn from the
   * session and its length, so probing the same state twice draws the same failures.
   */
  async simulate(
    id: string,
    calls: ToolCall[],
    options: ExecuteOptions = {},
  ): Promise<ToolResult[]> {
    const history = [...this.sessions.peek(id)];
    const rng = new Random(`lm-tool-engine simulate:${id}:${history.length}`);
    return this.sequence(calls, history, rng, options);
  }

  /** The calls in order, each seeing the results before it (appended to `history`). */
  private async sequence(
    calls: ToolCall[],
    history: Exchange[],
    rng: Random,
    options: ExecuteOptions,
  ): Promise<ToolResult[]> {
    const out: ToolResult[] = [];
    for (const call of calls) {
      const result = await this.one(call, history, rng, options);
      history.push({ call, tool: this.ctx.registry.match(call), result });
      out.push(result);
    }
    return out;
  }

  private async one(
    call: ToolCall,
    history: Exchange[],
    rng: Random,
    options: ExecuteOptions,
  ): Promise<ToolResult> {
    const fired = this.config.error_categories.filter((c) => rng.next() < c.probability);
    if (fired.length) {
      const c = fired[rng.int(fired.length)]!;
      if (c.type === "unparseable_result")
        return {
          call_id: call.call_id ?? null,
          name: call.name,
          result: "<garbled: simulated unparseable result>",
        };
      return failed(call, c.message);
    }
    const tool = this.ctx.registry.match(call, this.ctx.namespaces);
    if (!tool) return failed(call, `Unknown tool '${qualifiedName(call)}'`);
    const messages = [{ role: "system", content: SYSTEM }];
    for (const h of history) {
      messages.push({ role: "user", content: turn(h.tool, h.call) });
      messages.push({
        role: "assistant",
        content: JSON.stringify(
          h.result.error != null ? { error: h.result.error } : (h.result.result ?? null),
        ),
      });
    }
    messages.push({ role: "user", content: turn(tool, call) });
    const key = `${options.drawKey ?? ""}:${qualifiedName(call)}:${JSON.stringify(call.arguments)}`;
    const [cands = []] = await lmCandidates(this.lm, [
      {
        messages,
        row: {
          task_name: options.taskName ?? "",
          ...(options.drawKey ? { draw_key: options.drawKey } : {}),
          tool_call: callToDict(call),
          example_answer: JSON.stringify(exampleValue(tool.output_parameters, key, "result")),
        },
      },
    ]);
    for (const text of cands) {
      const parsed = parseJsonLoose(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) continue;
      const obj = parsed as Row;
      const valid = this.fit(obj, tool);
      if (valid !== undefined)
        return { call_id: call.call_id ?? null, name: call.name, result: valid };
      if (obj.error != null && obj.error !== "") return failed(call, String(obj.error));
    }
    return failed(call, "failed to generate valid tool result");
  }

  /** The output, projected on the declared fields, if it fits the output schema. */
  private fit(obj: Row, tool: Tool): Row | undefined {
    const props = propsOf(tool.output_parameters);
    const tries = [obj];
    if (
      !("result" in props) &&
      obj.result &&
      typeof obj.result === "object" &&
      !Array.isArray(obj.result)
    )
      tries.push(obj.result as Row);
    for (const t of tries) {
      const projected = pruneEmpty(
        Object.keys(props).length
          ? Object.fromEntries(Object.entries(t).filter(([k]) => k in props))
          : t,
      ) as Row;
      if (Object.keys(tool.output_parameters).length === 0) {
        if (Object.keys(projected).length && !("error" in projected)) return projected;
        continue;
      }
      if (
        Object.keys(projected).length &&
        violations(tool.output_parameters, projected, `tool '${tool.name}' output_parameters`)
          .length === 0
      )
        return projected;
    }
    return undefined;
  }
}

function turn(tool: Tool | undefined, call: ToolCall): string {
  const spec = tool ? JSON.stringify([toolToDict(tool)], null, 1) : "{}";
  return `Tool specification:\n${spec}\n\nTool call:\n${JSON.stringify(callToDict(call), null, 1)}`;
}

function pruneEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneEmpty);
  if (v && typeof v === "object") {
    const out: Row = {};
    for (const [k, x] of Object.entries(v)) {
      const empty =
        x === null ||
        x === "" ||
        (Array.isArray(x) && x.length === 0) ||
        (typeof x === "object" && x !== null && !Array.isArray(x) && Object.keys(x).length === 0);
      if (!empty) out[k] = pruneEmpty(x);
    }
    return out;
  }
  return v;
}

/** `type: lm` engine. */
export const lmEngine = defineEngine({
  schema,
  create: async (c, ctx) => new LmToolEngine(await ctx.lm(c.lm_config, "lm_simulator"), c, ctx),
});
