import { ConfigError, DRAW_KEY, type Row } from "digit-sdg";
import { z } from "zod";
import type { ChatMessage } from "../../../../src/blocks/lm/provider.js";
import { openAiTools } from "../../../../src/tools/tool-loop.js";
import { DEFAULT_NAMESPACE, type ToolCall, type ToolResult } from "../../../../src/tools/types.js";
import { isObj } from "../../../../src/util/mapping.js";
import {
  type Conversation,
  lastStep,
  makeStep,
  text,
  toMessages,
} from "../../../core/conversation/conversation.js";
import { chatAll } from "../../../core/conversation/stages/lm.js";
import { registerStage } from "../../../core/conversation/stages/stage.js";
import type { StepDocument } from "../documents.js";
import { ragExtras } from "../extras.js";
import { groundedAnswer, lastUserText } from "./grounding.js";

const NAME = "lm/assistant/rag";

/** System prompt of the second call: answer from what was just retrieved, no more tools. */
const SYNTHESIS =
  "You have just searched with a tool; its results are above. Answer the user's question from those results, directly. Do not call tools again.";

/**
 * The direct reply the offline `mock` provider gives to the first call when no tools rule
 * answers it: a goodbye on a closing turn, else a clarifying question.
 */
function exampleDirect(c: Conversation): string {
  return lastStep(c, "flow_controller")?.terminate === true
    ? "Glad that helps. Good luck with it!"
    : "Could you tell me a little more about what you need, so I can search for it?";
}

/**
 * The documents of a tool result: the `{id, text}` entries of a list result ([] for an error or
 * anything else, e.g. an unparseable result).
 *
 * @example
 * retrievedDocuments({ call_id: "1", name: "search", result: [{ id: "a", text: "x" }] }) // [{ id: "a", text: "x" }]
 */
export function retrievedDocuments(r: ToolResult): StepDocument[] {
  if (r.error != null || !Array.isArray(r.result)) return [];
  return r.result
    .filter(isObj)
    .filter((d) => typeof d.text === "string")
    .map((d) => ({ ...d, id: String(d.id ?? ""), text: String(d.text) }));
}

/**
 * The answer the offline `mock` provider gives after a search: a quote of the retrieved
 * document closest to the question, or, when the search failed or found nothing, an admission.
 *
 * @example
 * exampleSynthesis("When are fees due?", [result])
 */
export function exampleSynthesis(question: string, results: readonly ToolResult[]): string {
  const docs = results.flatMap(retrievedDocuments);
  if (docs.length) return groundedAnswer(question, docs);
  const err = results.find((r) => r.error != null)?.error;
  return err
    ? `I could not search the knowledge base just now (${err}). Could you ask again in a moment?`
    : "The search returned nothing I can use to answer this, so I cannot say from the knowledge base.";
}

/**
 * `lm/assistant/rag`: live retrieval. The generator sees the dialogue and every tool of the
 * task's `tools.registry` (tool_choice auto). When it calls tools, each call is a `tool_call`
 * step, the task's engines run them (a search engine returns `{id, text, score?, metadata?}`
 * documents, or an injected failure), each result a `tool_result` step, and a second call
 * without tools writes the answer from the results. When it answers directly (e.g. a
 * clarifying question), that is the assistant step. Conversations with no answer are dropped.
 *
 * @example
 * iteration_stages:
 *   - { name: lm/assistant/rag, generator: generator }
 */
registerStage({
  name: NAME,
  args: z.object({}),
  blocks: ["generator"],
  create: (_a, blocks, extras) => {
    const { tools } = ragExtras(extras, NAME);
    const offered = tools.registry.all();
    if (!offered.length)
      throw new ConfigError(
        `stage '${NAME}' needs tools to retrieve with, and tools.registry has none`,
        {
          hint: "add a tools.registry entry (e.g. type: inline, engine: <a search engine>) with a search tool",
        },
      );
    const { byName, specs } = openAiTools(offered);
    const lm = blocks.generator!;
    return {
      name: NAME,
      async run(convs) {
        const first = await lm.call(
          convs.map((c, i) => ({
            input: toMessages(c.steps),
            tools: specs,
            tool_choice: "auto",
            gen_kwargs: { max_new_tokens: 512 },
            task_name: c.task_name,
            ...(typeof c[DRAW_KEY] === "string" ? { [DRAW_KEY]: c[DRAW_KEY] } : {}),
            request_index: i,
            example_answer: exampleDirect(c),
          })),
          { method: "chat_completion" },
        );
        const replies: (ChatMessage | undefined)[] = convs.map(() => undefined);
        for (const r of first) {
          if (r.error != null) continue;
          const m = (Array.isArray(r.result) ? r.result[0] : r.result) as
            | ChatMessage
            | string
            | undefined;
          replies[Number(r.request_index)] =
            typeof m === "string" ? { role: "assistant", content: m } : m;
        }
        const kept = new Set<Conversation>();
        const searched: { c: Conversation; question: string; results: ToolResult[] }[] = [];
        for (const [i, c] of convs.entries()) {
          const reply = replies[i];
          if (!reply) continue;
          const calls = reply.tool_calls ?? [];
          if (!calls.length) {
            const answer = text(reply.content).trim();
            if (answer) {
              c.steps.push(makeStep("assistant", answer, NAME));
              kept.add(c);
            }
            continue;
          }
          const question = lastUserText(c);
          const toolCalls: ToolCall[] = calls.map((call, k) => {
            const tool = byName.get(call.function.name);
            return {
              name: tool?.name ?? call.function.name,
              namespace: tool?.namespace ?? DEFAULT_NAMESPACE,
              arguments: parseArguments(call.function.arguments),
              call_id: call.id ?? `${c.conversation_id}_${c.steps.length}_${k}`,
            };
          });
          for (const t of toolCalls)
            c.steps.push(
              makeStep(
                "tool_call",
                { name: t.name, arguments: t.arguments, call_id: t.call_id },
                NAME,
                {
                  namespace: t.namespace,
                },
              ),
            );
          const results = await tools.engine.execute(c.conversation_id, toolCalls);
          for (const r of results) c.steps.push(makeStep("tool_result", { ...r }, NAME));
          searched.push({ c, question, results });
        }
        const answers = await chatAll(
          lm,
          searched.map(({ c, question, results }) => ({
            conversation: c,
            messages: [{ role: "system", content: SYNTHESIS }, ...toMessages(c.steps)],
            gen_kwargs: { max_new_tokens: 1024 },
            row: { example_answer: exampleSynthesis(question, results) },
          })),
        );
        searched.forEach(({ c }, i) => {
          if (!answers[i]) return;
          c.steps.push(makeStep("assistant", answers[i], NAME));
          kept.add(c);
        });
        return convs.filter((c) => kept.has(c));
      },
    };
  },
});

/** Tool-call arguments as an object (a JSON string is parsed; anything else is {}). */
function parseArguments(args: unknown): Row {
  if (isObj(args)) return args;
  if (typeof args === "string") {
    try {
      const v: unknown = JSON.parse(args || "{}");
      return isObj(v) ? v : {};
    } catch {
      return {};
    }
  }
  return {};
}
