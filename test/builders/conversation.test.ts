import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Row } from "../../src/util/mapping.js";
import {
  digitRun,
  fakeBlock,
  readJsonl,
  scriptedFakeLLM,
  shape,
  tempDir,
  writeOverride,
} from "./support.js";

const TASK = "public/examples/chit_chat";
const TASK_FILE = "tasks/public/examples/chit_chat/task.yaml";
const RECORD_SHAPE = {
  task_name: "string",
  is_seed: "boolean",
  conversation_id: "string",
  steps: "array",
  branch_point: "null",
  outcome_reward: "null",
  // DiGiT: `Dict[str, float] = field(default_factory=dict)`.
  outcome_reward_breakdown: "object",
  id: "string",
};

const llm = scriptedFakeLLM("test/fixtures/builders/chit_chat/fake.yaml", 25);

function override(dir: string, kind: "openai" | "ollama", callLimit = 8) {
  return writeOverride(dir, "override.yaml", {
    databuilders: {
      "core/conversation": {
        blocks: [{ name: "generator", ...fakeBlock(kind, llm.fake, { call_limit: callLimit }) }],
      },
    },
  });
}

const roles = (c: Row) => (c.steps as Row[]).map((s) => s.role);

describe.each(["openai", "ollama"] as const)(
  "core/conversation chit-chat over HTTP (%s)",
  (kind) => {
    it("writes conversations and formatted messages; stages are batched across conversations", async () => {
      const dir = tempDir("chit");
      const code = await digitRun([
        TASK_FILE,
        "--config-path",
        override(dir, kind),
        "--output-dir",
        dir,
        "--restart",
        "--num-outputs-to-generate",
        "8",
      ]);
      expect(code).toBe(0);
      const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
      expect(final).toHaveLength(8);
      for (const c of final) {
        expect(shape(c)).toEqual(RECORD_SHAPE);
        expect(c.outcome_reward_breakdown).toEqual({});
        // max_turns 4, no termination pattern offered by the script.
        expect(roles(c)).toEqual([
          "scenario",
          "persona",
          ...Array.from({ length: 4 }, () => ["flow_controller", "user", "assistant"]).flat(),
        ]);
        const steps = c.steps as Row[];
        expect(Object.keys(steps[0]!)).toEqual([
          "role",
          "content",
          "stage_name",
          "scores",
          "metadata",
          "scenario_family_id",
        ]);
        expect(Object.keys(steps[2]!)).toEqual([
          "role",
          "content",
          "stage_name",
          "scores",
          "metadata",
          "terminate",
          "hint",
          "reasoning",
          "eligible_patterns",
        ]);
        expect(steps[2]!.eligible_patterns).toEqual([
          "chit_chat/follow_up",
          "chit_chat/share_opinion",
        ]);
        expect(String(steps[2]!.hint)).toMatch(/^Ask a follow-up question about tomatoes/);
        expect(steps[1]!.target).toBe("user");
      }
      const formatted = readJsonl(join(dir, TASK, "formatted_data.jsonl"));
      expect(formatted).toHaveLength(8);
      for (const f of formatted) {
        expect(Object.keys(f)).toEqual(["conversation_id", "messages"]);
        const msgs = f.messages as Row[];
        expect(msgs.map((m) => m.role)).toEqual([
          "user",
          "assistant",
          "user",
          "assistant",
          "user",
          "assistant",
          "user",
          "assistant",
        ]);
      }
      // The flow controller asks for JSON through the provider's structured-output parameter.
      const fc = llm.seen.filter((r) => /List every pattern/.test(r.prompt));
      expect(fc.length).toBeGreaterThanOrEqual(8 * 4);
      for (const r of fc) {
        if (kind === "openai") expect((r.body.response_format as Row).type).toBe("json_schema");
        else expect((r.body.format as Row).type).toBe("object");
      }
      // Many conversations advance at once: the provider's limit, not the builder, bounds the requests in flight.
      const stats = llm.fake.stats();
      expect(stats.peakInFlight).toBeGreaterThanOrEqual(4);
      expect(stats.peakInFlight).toBeLessThanOrEqual(8);
    });
  },
);

describe("core/conversation behaviour", () => {
  it("a flow-controller termination after min_turns ends the conversation with a closing exchange", async () => {
    const dir = tempDir("chit-end");
    llm.fake.configure({
      respond: (r) => {
        if (!/List every pattern/.test(r.prompt)) return undefined as never;
        const done = (r.prompt.match(/^User: /gm) ?? []).length;
        return JSON.stringify({
          reasoning: "x",
          eligible_patterns: done >= 2 ? ["chit_chat/termination"] : ["chit_chat/new_topic"],
        });
      },
    });
    const code = await digitRun([
      TASK_FILE,
      "--config-path",
      override(dir, "openai"),
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
      "--seed-batch-size",
      "3",
    ]);
    expect(code).toBe(0);
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(3);
    for (const c of final) {
      const steps = c.steps as Row[];
      expect(steps.filter((s) => s.role === "user")).toHaveLength(3);
      expect(steps.at(-3)!.terminate).toBe(true);
      expect(steps.at(-1)!.role).toBe("assistant");
    }
  });

  it("drops conversations the flow controller ends before min_turns", async () => {
    const dir = tempDir("chit-drop");
    llm.fake.configure({
      respond: (r) =>
        /List every pattern/.test(r.prompt)
          ? '{"reasoning": "", "eligible_patterns": ["chit_chat/termination"]}'
          : (undefined as never),
    });
    const code = await digitRun([
      TASK_FILE,
      "--config-path",
      override(dir, "ollama"),
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "2",
      "--seed-batch-size",
      "2",
      "--max-stalled-requests",
      "2",
    ]);
    expect(code).toBe(3);
    expect(readJsonl(join(dir, TASK, "final_data.jsonl"))).toEqual([]);
  });

  it("rejects min_turns above max_turns before calling the model", async () => {
    const dir = tempDir("chit-bad");
    const file = writeOverride(dir, "bad.yaml", {
      tasks: { [TASK]: { min_turns: 5 } },
      databuilders: {
        "core/conversation": { blocks: [{ name: "generator", ...fakeBlock("openai", llm.fake) }] },
      },
    });
    expect(
      await digitRun([TASK_FILE, "--config-path", file, "--output-dir", dir, "--restart"]),
    ).toBe(1);
    expect(llm.fake.stats().completed).toBe(0);
  });

  it("DiGiT's openai_chit_chat override, keyed by the builder here, runs through openai (key and URL from the environment)", async () => {
    const dir = tempDir("chit-openai-config");
    const saved = { url: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
    process.env.OPENAI_BASE_URL = llm.fake.openaiBaseURL;
    process.env.OPENAI_API_KEY = "sk-from-env";
    try {
      const code = await digitRun([
        "--config-path",
        "configs/public/examples/openai_chit_chat.yaml",
        "--output-dir",
        dir,
        "--restart",
        "--num-outputs-to-generate",
        "2",
      ]);
      expect(code).toBe(0);
    } finally {
      for (const [k, v] of [
        ["OPENAI_BASE_URL", saved.url],
        ["OPENAI_API_KEY", saved.key],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(readJsonl(join(dir, TASK, "final_data.jsonl"))).toHaveLength(2);
    expect(llm.seen.length).toBeGreaterThan(0);
    expect(
      llm.seen.every((r) => r.path === "/v1/chat/completions" && r.body.model === "gpt-4o-mini"),
    ).toBe(true);
  });

  it("runs offline with the mock override", async () => {
    const dir = tempDir("chit-mock");
    const code = await digitRun([
      TASK_FILE,
      "--config-path",
      "configs/mock/public/examples/chit_chat.yaml",
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
    ]);
    expect(code).toBe(0);
    expect(readJsonl(join(dir, TASK, "formatted_data.jsonl"))).toHaveLength(3);
  });
});
