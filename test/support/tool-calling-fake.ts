import type { CallDict } from "../../builders/public/tool_calling/multi_turn/stateless/calls.js";
import {
  examplePlan,
  exampleRequest,
  exampleWrongCall,
} from "../../builders/public/tool_calling/multi_turn/stateless/examples.js";
import type { FakeAnswer, FakeRequest } from "../../src/fake-llm/types.js";
import { exampleValue } from "../../src/tools/schema-example.js";
import type { Tool } from "../../src/tools/types.js";
import type { Row } from "../../src/util/mapping.js";

const section = (text: string, start: string, end?: string): string => {
  const from = text.indexOf(start);
  if (from < 0) return "";
  const rest = text.slice(from + start.length);
  return end ? rest.slice(0, rest.indexOf(end)) : rest;
};
const asTool = (d: Row): Tool => ({
  name: String(d.name),
  namespace: "",
  description: "",
  parameters: (d.parameters as Row) ?? {},
  output_parameters: (d.output_parameters as Row) ?? {},
  metadata: {},
});

/**
 * A scripted model for the fake LLM server that plays every LLM of the tool-calling builder: it
 * reads the stage's prompt (tools, earlier calls, drafts) and answers in the stage's format.
 *
 * @example
 * fake.configure({ respond: toolCallingRespond });
 */
export function toolCallingRespond(r: FakeRequest): FakeAnswer {
  const messages = (r.body.messages as { role: string; content: string }[] | undefined) ?? [];
  const system = messages[0]?.content ?? "";
  const p = r.prompt;
  const key = `fake:${r.n}`;
  if (p.startsWith("Plan tool calls.")) {
    const tools = (JSON.parse(section(p, "Tools:\n", "\n\nToday's date:")) as Row[]).map(asTool);
    const prior = JSON.parse(section(p, "Earlier calls:\n")) as CallDict[];
    return `<tool_calls>${JSON.stringify(examplePlan(tools, prior, system.includes("Every call after the first"), key))}</tool_calls>`;
  }
  if (p.startsWith("Write the user request.")) {
    const explicit = (
      JSON.parse(section(p, "Explicit calls:\n", "\n\nHidden calls:")) as Row[]
    ).map((m) => m.content as CallDict);
    const hidden = (JSON.parse(section(p, "Hidden calls:\n")) as Row[]).map(
      (m) => m.content as CallDict,
    );
    return exampleRequest([...explicit, ...hidden], hidden);
  }
  if (p.startsWith("Translate the request into tool calls."))
    return `<tool_calls>${section(p, "Draft:\n", "\n\nValues the request carries:")}</tool_calls>`;
  if (p.startsWith("Summarize the tool results."))
    return "<summary>All done: the results are in.</summary>";
  if (p.startsWith("Judge this conversation.")) return "<thought>Fine.</thought><pass>yes</pass>";
  if (p.startsWith("Explain the wrong call."))
    return "<hint>That call does not fit the request; check the arguments.</hint>";
  if (p.startsWith("Tool specification:") && p.includes("Write the JSON Schema of its output.")) {
    return JSON.stringify({
      type: "object",
      properties: { result_id: { type: "string", description: "Identifier" } },
    });
  }
  if (p.startsWith("Tool specification:")) {
    const spec = JSON.parse(section(p, "Tool specification:\n", "\n\nTool call:")) as Row[];
    return JSON.stringify(exampleValue(spec[0]?.output_parameters ?? {}, key, "result"));
  }
  if (system.startsWith("You are an assistant with tools")) {
    return exampleWrongCall((JSON.parse(section(system, "Tools:\n")) as Row[]).map(asTool), key);
  }
  return "I cannot help with that.";
}
