import type { Block } from "../blocks/block.js";
import type { ChatMessage } from "../blocks/lm/provider.js";
import { violations } from "../util/json-schema.js";
import { isObj, type Row } from "../util/mapping.js";
import type { ToolEngine } from "./engines/engine.js";
import { qualifiedName, type Tool, type ToolResult } from "./types.js";

/**
 * One round trip of the loop: the call the model made and what came back.
 *
 * @example
 * const t: ToolTraceEntry = { name: "add", namespace: "calc", arguments: { a: 1, b: 2 }, result: { sum: 3 } };
 */
export interface ToolTraceEntry extends Row {
  id: string;
  name: string;
  namespace: string | null;
  arguments: unknown;
  result?: unknown;
  error?: string;
  /** The engine could not run the call (its server went away or could not be reached). */
  unreachable?: boolean;
}

/**
 * The outcome of a tool loop: the model's final text, every call with its result, the whole
 * message list, and how many calls had arguments that failed their schema.
 *
 * @example
 * const { reply, trace } = await runToolLoop({ ... });
 */
export interface ToolLoopResult {
  reply: string;
  trace: ToolTraceEntry[];
  messages: ChatMessage[];
  invalid_calls: number;
  /** Calls the engine could not run at all (their server went away or could not be reached). */
  unreachable_calls: number;
  /** True when the loop stopped at `maxTurns` with the model still calling tools. */
  exhausted: boolean;
}

/**
 * What a tool loop needs.
 *
 * @example
 * runToolLoop({ lm, messages, tools, engine, sessionId: "c1", maxTurns: 4, callTimeoutMs: 10_000, row: {} })
 */
export interface ToolLoopOptions {
  lm: Block;
  messages: ChatMessage[];
  tools: Tool[];
  engine: ToolEngine;
  sessionId: string;
  maxTurns: number;
  callTimeoutMs: number;
  /** Fields sent with each LM request (task_name, draw_key); task and key go to the engine too. */
  row: Row;
  /** Stops the model requests (the run was cancelled). */
  signal?: AbortSignal | undefined;
}

/**
 * Tools as OpenAI `tools` entries. Names are the tools' own; two tools of one name in different
 * namespaces are told apart by `namespace__name`.
 *
 * @example
 * openAiTools([tool]) // [{ type: "function", function: { name: "add", ... } }]
 */
export function openAiTools(tools: Tool[]): { byName: Map<string, Tool>; specs: Row[] } {
  const count = new Map<string, number>();
  for (const t of tools) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  const byName = new Map<string, Tool>();
  const specs = tools.map((t) => {
    const name = (count.get(t.name) ?? 0) > 1 ? `${t.namespace}__${t.name}` : t.name;
    byName.set(name, t);
    return {
      type: "function",
      function: {
        name,
        description: t.description,
        parameters: Object.keys(t.parameters).length
          ? t.parameters
          : { type: "object", properties: {} },
      },
    };
  });
  return { byName, specs };
}

async function withTimeout(
  p: Promise<ToolResult[]>,
  ms: number,
): Promise<ToolResult[] | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Let a model use tools: send the messages with the tools offered; while the reply asks for
 * tool calls (and fewer than `maxTurns` rounds were made), check each call's arguments against
 * its schema (a failure goes back to the model as the tool's error, as DiGiT's error hints do),
 * execute the valid ones through `engine` (each round bounded by `callTimeoutMs`), append the
 * results and ask again.
 *
 * @example
 * const out = await runToolLoop({ lm, messages: [{ role: "user", content: "2+40?" }], tools,
 *   engine: taskTools.engine, sessionId: "c1", maxTurns: 4, callTimeoutMs: 10_000, row: {} });
 * out.reply // "42"
 */
export async function runToolLoop(o: ToolLoopOptions): Promise<ToolLoopResult> {
  const { byName, specs } = openAiTools(o.tools);
  const messages = [...o.messages];
  const trace: ToolTraceEntry[] = [];
  let invalid = 0;
  let unreachable = 0;
  const executeOptions = {
    ...(typeof o.row.task_name === "string" ? { taskName: o.row.task_name } : {}),
    ...(typeof o.row.draw_key === "string" ? { drawKey: o.row.draw_key } : {}),
  };
  for (let turn = 0; ; turn++) {
    const [out] = await o.lm.call([{ ...o.row, input: messages, tools: specs }], {
      method: "chat_completion",
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (!out || out.error != null)
      throw new Error(`the model call failed: ${String(out?.error ?? "no answer")}`);
    const msg = (Array.isArray(out.result) ? out.result[0] : out.result) as ChatMessage | undefined;
    const calls = msg?.tool_calls ?? [];
    const text = typeof msg?.content === "string" ? msg.content : "";
    if (!calls.length)
      return {
        reply: text,
        trace,
        messages: [...messages, { role: "assistant", content: text }],
        invalid_calls: invalid,
        unreachable_calls: unreachable,
        exhausted: false,
      };
    if (turn >= o.maxTurns)
      return {
        reply: text,
        trace,
        messages,
        invalid_calls: invalid,
        unreachable_calls: unreachable,
        exhausted: true,
      };
    const ids = calls.map((c, i) => c.id ?? `call_${turn}_${i}`);
    messages.push({
      role: "assistant",
      content: text || null,
      tool_calls: calls.map((c, i) => ({
        id: ids[i],
        type: "function",
        function: {
          name: c.function.name,
          arguments:
            typeof c.function.arguments === "string"
              ? c.function.arguments
              : JSON.stringify(c.function.arguments ?? {}),
        },
      })),
    });
    const entries: ToolTraceEntry[] = [];
    const runnable: { i: number; tool: Tool; args: Row }[] = [];
    calls.forEach((c, i) => {
      const tool = byName.get(c.function.name);
      let args: unknown = c.function.arguments;
      if (typeof args === "string") {
        try {
          args = JSON.parse(args || "{}");
        } catch {
          args = undefined;
        }
      }
      const entry: ToolTraceEntry = {
        id: ids[i]!,
        name: tool?.name ?? c.function.name,
        namespace: tool?.namespace ?? null,
        arguments: args ?? c.function.arguments,
      };
      entries.push(entry);
      if (!tool) entry.error = `unknown tool '${c.function.name}'`;
      else if (!isObj(args)) entry.error = "the arguments are not a JSON object";
      else {
        const bad = violations(tool.parameters, args, qualifiedName(tool));
        if (bad.length)
          entry.error = `invalid arguments: ${bad.map((b) => `${b.path || "arguments"} ${b.message}`).join("; ")}`;
        else runnable.push({ i, tool, args });
      }
      if (entry.error) invalid++;
    });
    const results = runnable.length
      ? await withTimeout(
          o.engine.execute(
            o.sessionId,
            runnable.map((r) => ({
              name: r.tool.name,
              namespace: r.tool.namespace,
              arguments: r.args,
              call_id: ids[r.i]!,
            })),
            executeOptions,
          ),
          o.callTimeoutMs,
        )
      : [];
    runnable.forEach((r, k) => {
      const res = results?.[k];
      if (!res) entries[r.i]!.error = `timed out after ${o.callTimeoutMs} ms`;
      else if (res.error != null) {
        entries[r.i]!.error = res.error;
        if (res.unreachable) {
          entries[r.i]!.unreachable = true;
          unreachable++;
        }
      } else entries[r.i]!.result = res.result;
    });
    for (const e of entries) {
      trace.push(e);
      messages.push({
        role: "tool",
        tool_call_id: e.id,
        content:
          e.error != null
            ? JSON.stringify({ error: e.error })
            : typeof e.result === "string"
              ? e.result
              : JSON.stringify(e.result ?? null),
      });
    }
  }
}
