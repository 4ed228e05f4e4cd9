import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { digit } from "../../../test/cli/helpers.js";
import { readJsonl } from "../../../test/engine/helpers.js";
import { type FakeLLM, startFakeLLM } from "../../../test/support/fake-llm/index.js";

const TASK = "tasks/core/columns/customer_support/task.yaml";
const MOCK = "configs/mock/core/columns/customer_support.yaml";

describe("digit preview", () => {
  it("prints the first records a run with the same --seed makes, writing nothing (mock provider)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "digit-preview-"));
    const r = await digit(
      [
        "preview",
        join(process.cwd(), TASK),
        "-n",
        "4",
        "--seed",
        "3",
        "--config-path",
        join(process.cwd(), MOCK),
        "--json",
      ],
      { cwd },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
    const shown = JSON.parse(r.stdout) as {
      task: string;
      records: Record<string, unknown>[];
      dropped: string[];
    };
    expect(shown.task).toBe("core/columns/customer_support");
    expect(shown.dropped).toEqual(["customer"]);
    expect(shown.records).toHaveLength(4);
    expect(shown.records.every((x) => typeof x.customer === "object")).toBe(true);

    const out = mkdtempSync(join(tmpdir(), "digit-preview-run-"));
    await run({
      taskPaths: [TASK],
      configPath: MOCK,
      outputDir: out,
      numOutputsToGenerate: 4,
      seed: 3,
      logger: silentLogger,
    });
    const made = readJsonl(join(out, "core/columns/customer_support/data.jsonl"));
    expect(made.map(({ task_name: _t, is_seed: _s, id: _i, ...rest }) => rest)).toEqual(
      shown.records,
    );
  }, 30_000);

  it("shows every column as a table, dropped ones marked, against the fake server", async () => {
    const fake: FakeLLM = await startFakeLLM({
      rules: [
        { match: /Write one question/, response: "Where is my parcel {{n}}?" },
        {
          match: /Score the above/,
          response:
            '{"helpfulness": {"reasoning": "ok", "score": 3}, "tone": {"reasoning": "ok", "score": 1}}',
        },
      ],
      responses: [
        "Please check the tracking page for parcel {{n}} and write back with your order number.",
      ],
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), "digit-preview-fake-"));
      const model = (name: string) =>
        `      - { name: ${name}, type: openai, model_id_or_path: fake, base_url: "${fake.openaiBaseURL}", api_key: k }\n`;
      writeFileSync(
        join(dir, "o.yaml"),
        `tasks:\n  core/columns/customer_support:\n    models:\n${model("writer")}${model("judge")}`,
      );
      const r = await digit(
        ["preview", join(process.cwd(), TASK), "-n", "2", "--config-path", join(dir, "o.yaml")],
        { cwd: dir, env: { COLUMNS: "120" } },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(dir)).toEqual(["o.yaml"]);
      expect(r.stdout).toMatch(
        /^core\/columns\/customer_support: 2 records \(\* = left out of the output: customer\)/,
      );
      expect(r.stdout.match(/^record \d$/gm)).toEqual(["record 1", "record 2"]);
      expect(r.stdout).toMatch(/^customer \*\s+\{"first_name"/m);
      expect(r.stdout).toMatch(/^question\s+Where is my parcel \d+\?/m);
      expect(fake.stats().completed).toBe(6);
    } finally {
      await fake.close();
    }
  }, 30_000);

  it("previews a transformation task: its first input records through the columns", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-preview-data-"));
    writeFileSync(
      join(dir, "t.yaml"),
      `task_name: t/x\ndata_builder: core/columns\ndata: [{ text: a }, { text: b }, { text: c }]\nmodels: [{ name: m, type: mock, responses: ["got {{input}}"] }]\ncolumns:\n  - { name: reply, type: llm_text, model: m, prompt: "{{ text | upper }}" }\n`,
    );
    const r = await digit(["preview", "t.yaml", "-n", "2", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(["t.yaml"]);
    expect((JSON.parse(r.stdout) as { records: unknown[] }).records).toEqual([
      { text: "a", reply: "got A" },
      { text: "b", reply: "got B" },
    ]);
  }, 30_000);

  it("runs the tools of tool columns (a real MCP server), writing nothing", async () => {
    const fake = await startFakeLLM({
      respond: (r) => {
        const msgs = r.body.messages as { role: string; content: string | null }[];
        const last = msgs.at(-1)!;
        if (last.role === "tool") return `Sum: ${JSON.parse(last.content!).sum}`;
        return { content: null, tool_calls: [{ name: "add", arguments: { a: 1, b: 2 } }] };
      },
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), "digit-preview-tools-"));
      writeFileSync(
        join(dir, "t.yaml"),
        [
          "task_name: t/preview_tools",
          "data_builder: core/columns",
          `models: [{ name: w, type: openai, model_id_or_path: m, base_url: "${fake.openaiBaseURL}", api_key: k, max_retries: 0 }]`,
          "tools:",
          `  registry: [{ type: mcp, command: "${process.execPath}", args: ["${join(process.cwd(), "test/support/mcp/tools-server.mjs")}"], namespace: calc, engine: mcp }]`,
          "  engines: { mcp: { type: mcp } }",
          "columns:",
          '  - { name: answer, type: llm_text, model: w, prompt: "1+2?", tools: [calc/add] }',
          "",
        ].join("\n"),
      );
      const r = await digit(["preview", "t.yaml", "-n", "2", "--json"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(dir)).toEqual(["t.yaml"]);
      const shown = JSON.parse(r.stdout) as { records: Record<string, unknown>[] };
      expect(shown.records.map((x) => x.answer)).toEqual(["Sum: 3", "Sum: 3"]);
      expect(shown.records[0]!.answer__trace).toEqual([
        expect.objectContaining({ name: "add", namespace: "calc", result: { sum: 3 } }),
      ]);
    } finally {
      await fake.close();
    }
  });
  it("refuses builders without a preview", async () => {
    const r = await digit([
      "preview",
      "tasks/public/examples/qa/task.yaml",
      "--include-namespaces",
      "public",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no preview/);
  }, 30_000);
});

describe("digit describe core/columns", () => {
  it("lists the keys of every column type, sampler and processor, and the transformation mode", async () => {
    const r = await digit(["describe", "core/columns"], { env: { COLUMNS: "160" } });
    expect(r.code, r.stderr).toBe(0);
    for (const title of [
      "keys every column takes",
      "column type 'sampler'",
      "params of sampler 'person'",
      "column type 'llm_structured'",
      "column type 'llm_judge'",
      "column type 'validation'",
      "column type 'seed'",
      "processor 'schema_transform'",
    ]) {
      expect(r.stdout).toContain(`\n${title}:\n`);
    }
    expect(r.stdout).toMatch(/\noutput_format\s+map\s+yes\s+A JSON Schema the reply must fit/);
    expect(r.stdout).toContain("a task with 'data:' runs as a transformation");
  }, 30_000);
});
