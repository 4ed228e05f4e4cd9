import { afterAll, describe, expect, it } from "vitest";
import { createBlock } from "../blocks/create.js";
import { startFakeLLM } from "../fake-llm/index.js";
import { Registry } from "../registry/registry.js";
import { buildTaskTools } from "./build.js";
import { toolsSectionSchema } from "./config.js";
import { runToolLoop } from "./tool-loop.js";

const fake = await startFakeLLM({});
const registry = await Registry.open();
const lm = await createBlock(registry, {
  name: "m",
  type: "openai",
  model_id_or_path: "fake-model",
  base_url: fake.openaiBaseURL,
  api_key: "sk-fake",
  max_retries: 0,
});
const tools = await buildTaskTools(
  toolsSectionSchema.parse({
    registry: [
      {
        type: "mcp",
        command: process.execPath,
        args: ["test/support/mcp/tools-server.mjs"],
        namespace: "calc",
        engine: "mcp",
      },
    ],
    engines: { mcp: { type: "mcp", timeout: 10 } },
  }),
  { lm: async () => lm, logger: undefined, where: "t.yaml", taskName: "t" },
);
afterAll(async () => {
  await tools.close();
  await fake.close();
});

const bodies: Record<string, unknown>[] = [];
function script(
  first: { name: string; arguments: Record<string, unknown> }[],
  fix?: { name: string; arguments: Record<string, unknown> }[],
) {
  fake.configure({
    respond: (r) => {
      bodies.push(r.body);
      const msgs = r.body.messages as { role: string; content: string }[];
      const toolMsgs = msgs.filter((m) => m.role === "tool");
      if (!toolMsgs.length) return { content: null, tool_calls: first };
      const last = toolMsgs.at(-1)!.content;
      if (last.includes("error") && fix && toolMsgs.length < 2)
        return { content: null, tool_calls: fix };
      return `Done: ${last}`;
    },
  });
}

describe("runToolLoop (model over HTTP, tools on a real MCP server)", () => {
  it("offers the tools, executes the model's calls and returns the final reply with the trace", async () => {
    script([
      { name: "add", arguments: { a: 2, b: 40 } },
      { name: "lookup_city", arguments: { city: "Lima" } },
    ]);
    const out = await runToolLoop({
      lm,
      messages: [{ role: "user", content: "2+40, and where is Lima?" }],
      tools: tools.registry.all(),
      engine: tools.engine,
      sessionId: "s1",
      maxTurns: 3,
      callTimeoutMs: 5000,
      row: { task_name: "t" },
    });
    expect(out.trace.map((t) => [t.name, t.result])).toEqual([
      ["add", { sum: 42 }],
      ["lookup_city", { country: "Peru", population: 10004141 }],
    ]);
    expect(out.reply).toMatch(/^Done:/);
    expect(out.exhausted).toBe(false);
    expect(
      (bodies[0]!.tools as { function: { name: string } }[]).map((t) => t.function.name).sort(),
    ).toEqual(["add", "crash", "lookup_city", "slow", "word_count"]);
  });
  it("feeds arguments that fail the schema back to the model as errors, and counts them", async () => {
    script(
      [{ name: "add", arguments: { a: "two", b: 1 } }],
      [{ name: "add", arguments: { a: 2, b: 1 } }],
    );
    const out = await runToolLoop({
      lm,
      messages: [{ role: "user", content: "two plus one" }],
      tools: tools.registry.all(),
      engine: tools.engine,
      sessionId: "s2",
      maxTurns: 3,
      callTimeoutMs: 5000,
      row: {},
    });
    expect(out.invalid_calls).toBe(1);
    expect(out.trace[0]!.error).toMatch(/^invalid arguments: \/a must be number/);
    expect(out.trace[1]!.result).toEqual({ sum: 3 });
  });
  it("bounds the rounds and the time of a round", async () => {
    fake.configure({
      respond: () => ({
        content: null,
        tool_calls: [{ name: "word_count", arguments: { text: "again and again" } }],
      }),
    });
    const loop = await runToolLoop({
      lm,
      messages: [{ role: "user", content: "count" }],
      tools: tools.registry.all(),
      engine: tools.engine,
      sessionId: "s3",
      maxTurns: 2,
      callTimeoutMs: 5000,
      row: {},
    });
    expect(loop.exhausted).toBe(true);
    expect(loop.trace).toHaveLength(2);
    script([{ name: "slow", arguments: { ms: 3000 } }]);
    const slow = await runToolLoop({
      lm,
      messages: [{ role: "user", content: "wait" }],
      tools: tools.registry.all(),
      engine: tools.engine,
      sessionId: "s4",
      maxTurns: 2,
      callTimeoutMs: 200,
      row: {},
    });
    expect(slow.trace[0]!.error).toBe("timed out after 200 ms");
  });
});
