import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Row } from "../../src/util/mapping.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import {
  digitRun,
  digitRunOutput,
  fakeBlock,
  readJsonl,
  tempDir,
  writeOverride,
} from "./support.js";

const TASK = "test/conversation/tools";
let fake: FakeLLM;
const offered: string[][] = [];
beforeAll(async () => {
  fake = await startFakeLLM({
    respond: (r) => {
      const msgs = r.body.messages as { role: string; content: string | null }[];
      if (!r.body.tools) return "What is 2 plus 40?";
      offered.push((r.body.tools as { function: { name: string } }[]).map((t) => t.function.name));
      const last = msgs.at(-1)!;
      if (last.role !== "tool")
        return { content: null, tool_calls: [{ name: "add", arguments: { a: 2, b: 40 } }] };
      return `It is ${JSON.parse(last.content!).sum}.`;
    },
  });
});
afterAll(() => fake.close());

describe("core/conversation with tools (lm/assistant/tools)", () => {
  it("executes the model's tool calls on the MCP server and keeps them as steps", async () => {
    const dir = tempDir("conv-tools");
    const override = writeOverride(dir, "o.yaml", {
      databuilders: {
        "core/conversation": { blocks: [{ name: "generator", ...fakeBlock("openai", fake) }] },
      },
    });
    const code = await digitRun([
      "test/fixtures/builders/tool_calling/conversation-tools.yaml",
      "--config-path",
      override,
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
    ]);
    expect(code).toBe(0);
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(3);
    for (const c of final) {
      const steps = c.steps as Row[];
      expect(steps.map((s) => s.role)).toEqual([
        "user",
        "tool_call",
        "tool_result",
        "assistant",
        "user",
        "tool_call",
        "tool_result",
        "assistant",
      ]);
      expect(steps[2]!.content).toEqual({
        call_id: (steps[1]!.content as Row).id,
        result: { sum: 42 },
      });
      expect(steps[3]!.content).toBe("It is 42.");
    }
    expect(new Set(offered.map((o) => o.sort().join(",")))).toEqual(new Set(["add,lookup_city"]));
  });

  it("a server that dies mid-run drops only the conversations in flight", async () => {
    const dir = tempDir("conv-tools-die");
    const marker = join(dir, "died");
    const task = join(dir, "task.yaml");
    const fixture = readFileSync(
      "test/fixtures/builders/tool_calling/conversation-tools.yaml",
      "utf8",
    ).replace(
      "args: [test/support/mcp/tools-server.mjs]",
      `args: [test/support/mcp/tools-server.mjs, --die-after, "3", "${marker}"]`,
    );
    writeFileSync(task, fixture);
    const override = writeOverride(dir, "o.yaml", {
      databuilders: {
        "core/conversation": { blocks: [{ name: "generator", ...fakeBlock("openai", fake) }] },
      },
    });
    const code = await digitRun([
      task,
      "--config-path",
      override,
      "--output-dir",
      join(dir, "out"),
      "--num-outputs-to-generate",
      "4",
    ]);
    expect(code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    // The restarted server answered the rest: every kept conversation has its results.
    const final = readJsonl(join(dir, "out", TASK, "final_data.jsonl"));
    expect(final).toHaveLength(4);
    for (const c of final)
      expect(
        (c.steps as Row[]).filter((s) => s.role === "tool_result").map((s) => s.content),
      ).toEqual([
        expect.objectContaining({ result: { sum: 42 } }),
        expect.objectContaining({ result: { sum: 42 } }),
      ]);
    const logs = readFileSync(join(dir, "out", TASK, "logs.jsonl"), "utf8");
    expect(logs).toMatch(/failed: tool 'calc\/add' could not be run: MCP server/);
  });

  it("an unknown tool in a stage's tools: is reported at plan time; no output is touched", async () => {
    const dir = tempDir("conv-tools-bad");
    const task = join(dir, "task.yaml");
    writeFileSync(
      task,
      readFileSync("test/fixtures/builders/tool_calling/conversation-tools.yaml", "utf8").replace(
        "tools: [calc/add, calc/lookup_city]",
        "tools: [calc/ad]",
      ),
    );
    const override = writeOverride(dir, "o.yaml", {
      databuilders: {
        "core/conversation": { blocks: [{ name: "generator", ...fakeBlock("openai", fake) }] },
      },
    });
    const out = join(dir, "out");
    const { result: code, stderr } = await digitRunOutput([
      task,
      "--config-path",
      override,
      "--output-dir",
      out,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain("digit: stage 'lm/assistant/tools': no tool 'calc/ad'");
    expect(stderr).toContain(`(${task}:14)`);
    expect(stderr).toMatch(/did you mean 'calc\/add'/);
    expect(stderr).toContain("[DIGIT_CONFIG_INVALID]");
    expect(existsSync(out)).toBe(false);
  });
});
