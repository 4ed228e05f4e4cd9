import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolCallValidator } from "../../src/blocks/validators/tool_call/index.js";
import type { Row } from "../../src/util/mapping.js";
import { digit } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { toolCallingRespond } from "../support/tool-calling-fake.js";
import { withEnv } from "../support/with-env.js";
import { digitRun, readJsonl, tempDir, writeOverride } from "./support.js";

const TASK = "test/tool_calling/travel";
const TASK_FILE = "test/fixtures/builders/tool_calling/task.yaml";
const MIRROR = "/work/.mirror/IBM+fms-dgt/repo";
const DIGIT_TASKS = {
  "toolmind/conversation.yaml": ["tool_calling/multi_turn/stateless/toolmind", "multi_turn"],
  "toolmind/conversation_single_turn.yaml": [
    "tool_calling/multi_turn/stateless/toolmind_single_turn",
    "single_turn",
  ],
  "ablations/no_bt.yaml": ["tool_calling/multi_turn/stateless/toolmind_no_bt", "multi_turn"],
  "ablations/no_impl.yaml": ["tool_calling/multi_turn/stateless/toolmind_no_impl", "multi_turn"],
} as const;
// The DiGiT tool file small enough for a test run (docs/compatibility.md lists what runs with
// all the files the mirror holds).
const DIGIT_TOOL_FILES = [["APIGen-MT-5k", "toolmind_apigen"]] as const;

const mock = { type: "mock", model_id_or_path: "mock", responses: ["{{example_answer}}"] };
const validator = new ToolCallValidator({ name: "check", type: "tool_call_validator" });

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ respond: toolCallingRespond });
});
afterAll(() => fake.close());

/** Every tool call of the records, checked by tool_call_validator against the record's tools. */
async function invalidCalls(records: Row[]): Promise<string[]> {
  const rows = records.flatMap((r) => {
    const steps = r.steps as Row[];
    const tools = steps.find((s) => s.role === "tc/sampler")!.tools as Row[];
    return steps
      .filter((s) => s.role === "tool_call")
      .map((s) => {
        const c = s.content as Row;
        return {
          tools,
          answer: JSON.stringify([{ name: c.name, arguments: c.arguments }]),
          check_arg_question_overlap: false,
          validate_question: false,
        };
      });
  });
  const out = await validator.call(rows);
  return out.filter((r) => !r.is_valid).map((r) => String((r.metadata as Row).reason));
}

const roles = (r: Row) => (r.steps as Row[]).map((s) => String(s.role));

function fakeTools(
  base: string,
  files: readonly (readonly [string, string])[],
  dataDir: string,
): Row {
  const lm = {
    type: "openai",
    model_id_or_path: "fake-model",
    base_url: fake.openaiBaseURL,
    api_key: "sk-fake",
    max_retries: 0,
  };
  const provider = {
    type: "openai",
    base_url: fake.openaiBaseURL,
    api_key: "sk-fake",
    model_id_or_path: "fake-embed",
  };
  return {
    registry: files.map(([f, ns]) => ({
      type: "file",
      path: `${dataDir}/${base}/${f}`,
      namespace: ns,
      engine: "lm_simulator",
    })),
    engines: { lm_simulator: { type: "lm", lm_config: lm } },
    enrichments: [
      { type: "output_parameters", lm_config: lm },
      { type: "embeddings", model: "sentence-transformers/all-mpnet-base-v2", provider },
      { type: "neighbors", model: "sentence-transformers/all-mpnet-base-v2", provider },
    ],
  };
}

describe("tool_calling/multi_turn/stateless on our travel task", () => {
  it("offline (mock): chained calls executed, summarised, filtered and hinted; calls validate; DiGiT's formatted shape", async () => {
    const dir = tempDir("tc-mock");
    const override = writeOverride(dir, "o.yaml", {
      databuilders: {
        "tool_calling/multi_turn/stateless": { blocks: [{ name: "generator", ...mock }] },
      },
    });
    const code = await withEnv({ DGT_CACHE_DIR: join(dir, "cache") }, () =>
      digitRun([
        TASK_FILE,
        "--config-path",
        override,
        "--output-dir",
        dir,
        "--restart",
        "--num-outputs-to-generate",
        "6",
        "--include-namespaces",
        "public",
        "--save-formatted-output",
        "--seed",
        "7",
      ]),
    );
    expect(code).toBe(0);
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(6);
    for (const r of final) {
      const rs = roles(r);
      expect(rs.slice(0, 2)).toEqual(["persona", "tc/sampler"]);
      expect(rs.filter((x) => x === "tc/user").length).toBeGreaterThanOrEqual(1);
      // Every turn: plan, request, at least two chained calls with results, then the summary.
      expect(rs.filter((x) => x === "tool_call").length).toBeGreaterThanOrEqual(2);
      expect(rs.at(-1)).toBe("assistant");
      const plan = (r.steps as Row[]).find((s) => s.role === "tc/plan")!.plan as Row[];
      expect(JSON.stringify(plan[1]!.arguments)).toMatch(/"\$1\./);
    }
    expect(await invalidCalls(final)).toEqual([]);
    const formatted = readJsonl(join(dir, TASK, "formatted_data.jsonl"));
    expect(formatted).toHaveLength(6);
    for (const f of formatted) {
      expect(Object.keys(f)).toEqual(["messages", "tools"]);
      const msgs = f.messages as Row[];
      expect(msgs[0]!.role).toBe("user");
      expect(new Set(msgs.map((m) => m.role))).toEqual(new Set(["user", "assistant", "tool"]));
      expect(Object.keys((f.tools as Row[])[0]!)).toEqual([
        "name",
        "namespace",
        "description",
        "parameters",
        "output_parameters",
      ]);
    }
  });

  it("over HTTP (fake server): every LLM of the builder, the tool simulator, output schemas and embeddings go to the server", async () => {
    const dir = tempDir("tc-fake");
    fake.reset();
    const override = writeOverride(dir, "o.yaml", {
      databuilders: {
        "tool_calling/multi_turn/stateless": {
          blocks: [
            {
              name: "generator",
              type: "openai",
              model_id_or_path: "fake-model",
              base_url: fake.openaiBaseURL,
              api_key: "sk-fake",
              n: 2,
            },
          ],
        },
      },
      tasks: {
        [TASK]: { tools: fakeTools("test/fixtures", [["tools/travel.yaml", "travel"]], ".") },
      },
    });
    const code = await withEnv({ DGT_CACHE_DIR: join(dir, "cache") }, () =>
      digitRun([
        TASK_FILE,
        "--config-path",
        override,
        "--output-dir",
        dir,
        "--restart",
        "--num-outputs-to-generate",
        "4",
        "--include-namespaces",
        "public",
      ]),
    );
    expect(code).toBe(0);
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(4);
    expect(await invalidCalls(final)).toEqual([]);
    const byPath = fake.stats().byPath;
    expect(byPath["/v1/embeddings"]).toBeGreaterThan(0);
    expect(byPath["/v1/chat/completions"]).toBeGreaterThan(20);
    // Every request the server got is counted in the task's results, by the block that sent it.
    const metrics = readJsonl(join(dir, TASK, "task_results.jsonl")).at(-1)!.metrics as {
      requests: number;
      blocks: Record<string, { requests: number }>;
    };
    expect(metrics.requests).toBe(byPath["/v1/embeddings"]! + byPath["/v1/chat/completions"]!);
    // (output_parameters sends none: the travel tools declare their outputs.)
    expect(Object.keys(metrics.blocks).sort()).toEqual([
      "embeddings",
      "generator",
      "lm_simulator",
      "neighbors",
    ]);
  });
});

const hasMirror = existsSync(MIRROR);

describe.skipIf(!hasMirror)("DiGiT's four tool-calling task files, unchanged", () => {
  const root = tempDir("tc-digit");
  const data = join(root, "data");
  const base = "public/tool_calling/toolmind";
  beforeAll(() => {
    const show = (p: string) =>
      execFileSync("git", ["--git-dir", MIRROR, "show", `HEAD:${p}`], { maxBuffer: 64 << 20 });
    for (const file of Object.keys(DIGIT_TASKS)) {
      mkdirSync(dirname(join(root, "tasks", file)), { recursive: true });
      writeFileSync(
        join(root, "tasks", file),
        show(`tasks/public/tool_calling/multi_turn/stateless/${file}`),
      );
    }
    mkdirSync(join(data, base), { recursive: true });
    for (const [f] of DIGIT_TOOL_FILES)
      writeFileSync(
        join(data, base, `${f}-query_tools.yaml`),
        show(`data/${base}/${f}-query_tools.yaml`),
      );
    // DiGiT's personas.jsonl is not in its repository's history we have; ours has the same shape.
    copyFileSync(
      "data/public/tool_calling/personas.jsonl",
      join(data, "public/tool_calling/personas.jsonl"),
    );
  });

  const taskPaths = () => Object.keys(DIGIT_TASKS).map((f) => join(root, "tasks", f));
  const tools = (lm: Row, provider: Row) => ({
    registry: DIGIT_TOOL_FILES.map(([f, ns]) => ({
      type: "file",
      path: `${data}/${base}/${f}-query_tools.yaml`,
      namespace: ns,
      engine: "lm_simulator",
    })),
    engines: { lm_simulator: { type: "lm", lm_config: lm } },
    enrichments: [
      { type: "output_parameters", lm_config: lm },
      { type: "embeddings", model: "sentence-transformers/all-mpnet-base-v2", provider },
      { type: "neighbors", model: "sentence-transformers/all-mpnet-base-v2", provider },
    ],
  });

  it("run offline with the mock provider; records validate; formatted output has DiGiT's shapes", async () => {
    const out = join(root, "out-mock");
    const override = writeOverride(root, "mock.yaml", {
      databuilders: {
        "tool_calling/multi_turn/stateless": { blocks: [{ name: "generator", ...mock }] },
      },
      tasks: Object.fromEntries(
        Object.values(DIGIT_TASKS).map(([name]) => [
          name,
          { tools: tools(mock, { type: "mock" }) },
        ]),
      ),
    });
    const code = await withEnv({ DGT_DATA_DIR: data, DGT_CACHE_DIR: join(root, "cache") }, () =>
      digitRun([
        ...taskPaths(),
        "--config-path",
        override,
        "--output-dir",
        out,
        "--restart",
        "--num-outputs-to-generate",
        "3",
        "--include-namespaces",
        "public",
        "--save-formatted-output",
      ]),
    );
    expect(code).toBe(0);
    for (const [name, format] of Object.values(DIGIT_TASKS)) {
      const final = readJsonl(join(out, name, "final_data.jsonl"));
      expect(final, name).toHaveLength(3);
      expect(await invalidCalls(final)).toEqual([]);
      const formatted = readJsonl(join(out, name, "formatted_data.jsonl"));
      expect(formatted, name).toHaveLength(3);
      for (const f of formatted) {
        const msgs = f.messages as Row[];
        if (format === "single_turn") {
          expect(msgs.map((m) => m.role)).toEqual(["user", "assistant"]);
          expect(Array.isArray(msgs[1]!.content)).toBe(true);
          expect(Object.keys((f.tools as Row[])[0]!)).toEqual(["name", "parameters"]);
        } else {
          expect(msgs.map((m) => m.role)).toContain("tool");
        }
      }
    }
    // The ablations differ as DiGiT's do: no_bt has no verifier step, no_impl shows all calls.
    const noBt = readJsonl(join(out, DIGIT_TASKS["ablations/no_bt.yaml"][0], "final_data.jsonl"));
    expect(
      noBt.every((r) =>
        (r.steps as Row[]).every((s) => s.stage_name !== "tool_calling/multi_turn/stages/verifier"),
      ),
    ).toBe(true);
    const noImpl = readJsonl(
      join(out, DIGIT_TASKS["ablations/no_impl.yaml"][0], "final_data.jsonl"),
    );
    expect(
      noImpl.every((r) =>
        (r.steps as Row[])
          .filter((s) => s.role === "tc/user")
          .every((s) => (s.hidden_set as unknown[]).length === 0),
      ),
    ).toBe(true);
  });

  it("validate against the committed mock override (configs/mock/public/tool_calling.yaml)", async () => {
    const r = await digit(
      [
        "validate",
        ...taskPaths(),
        "--config-path",
        "configs/mock/public/tool_calling.yaml",
        "--include-namespaces",
        "public",
      ],
      { env: { ...process.env, DGT_DATA_DIR: data } },
    );
    expect(r.stdout + r.stderr).toContain("4 tasks and 1 builder are valid");
    expect(r.code).toBe(0);
  });

  it("conversation.yaml runs against the fake server", async () => {
    const out = join(root, "out-fake");
    fake.reset();
    const lm = {
      type: "openai",
      model_id_or_path: "fake-model",
      base_url: fake.openaiBaseURL,
      api_key: "sk-fake",
      max_retries: 0,
    };
    const provider = {
      type: "openai",
      base_url: fake.openaiBaseURL,
      api_key: "sk-fake",
      model_id_or_path: "fake-embed",
    };
    const name = DIGIT_TASKS["toolmind/conversation.yaml"][0];
    const override = writeOverride(root, "fake.yaml", {
      databuilders: {
        "tool_calling/multi_turn/stateless": {
          blocks: [
            {
              name: "generator",
              type: "openai",
              base_url: fake.openaiBaseURL,
              api_key: "sk-fake",
              n: 2,
            },
          ],
        },
      },
      tasks: { [name]: { tools: tools(lm, provider) } },
    });
    const code = await withEnv(
      { DGT_DATA_DIR: data, DGT_CACHE_DIR: join(root, "cache-fake") },
      () =>
        digitRun([
          join(root, "tasks/toolmind/conversation.yaml"),
          "--config-path",
          override,
          "--output-dir",
          out,
          "--restart",
          "--num-outputs-to-generate",
          "3",
          "--include-namespaces",
          "public",
        ]),
    );
    expect(code).toBe(0);
    const final = readJsonl(join(out, name, "final_data.jsonl"));
    expect(final).toHaveLength(3);
    expect(await invalidCalls(final)).toEqual([]);
    expect(fake.stats().byPath["/v1/embeddings"]).toBeGreaterThan(0);
  });
});
