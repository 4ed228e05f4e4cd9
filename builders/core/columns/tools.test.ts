import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { type DigitError, isDigitError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { buildSummary } from "../../../src/telemetry/summary.js";
import { digit } from "../../../test/cli/helpers.js";
import { readJsonl } from "../../../test/engine/helpers.js";
import { RecordingTelemetry } from "../../../test/lm/helpers.js";
import {
  type FakeLLM,
  type FakeRequest,
  startFakeLLM,
} from "../../../test/support/fake-llm/index.js";

const SERVER = resolve("test/support/mcp/tools-server.mjs");
const CORPUS = resolve("test/fixtures/tools/corpus.jsonl");

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ respond: answer });
});
afterAll(() => fake.close());

type Msg = { role: string; content: string | null };

/**
 * The model: asked to add, it calls `add`; asked about an order, it calls `find_order` (played by
 * the lm engine); asked about bees, it calls `search_docs`; with the tool results in, it answers
 * with the last one. The lm engine's own requests (a tool spec in the prompt) get a JSON result.
 */
function answer(r: FakeRequest) {
  const msgs = r.body.messages as Msg[];
  const first = String(msgs.find((m) => m.role === "user")?.content ?? "");
  if (first.startsWith("Tool specification")) return '{"status": "shipped", "eta_days": 2}';
  const results = msgs.filter((m) => m.role === "tool");
  if (results.length) return `Result: ${results.at(-1)!.content}`;
  const n = /Add (\d+)/.exec(first)?.[1];
  if (n)
    return { content: null, tool_calls: [{ name: "add", arguments: { a: Number(n), b: 40 } }] };
  if (first.includes("order"))
    return {
      content: null,
      tool_calls: [{ name: "find_order", arguments: { order_number: "A-1" } }],
    };
  if (first.includes("bees"))
    return { content: null, tool_calls: [{ name: "search_docs", arguments: { query: "bees" } }] };
  return "plain";
}

function model(): string {
  return `models:
  - { name: writer, type: openai, model_id_or_path: fake-model, base_url: "${fake.openaiBaseURL}", api_key: sk-fake, max_retries: 0 }
`;
}

function taskDir(body: string, n = 6): string {
  const dir = mkdtempSync(join(tmpdir(), "digit-columns-tools-"));
  writeFileSync(
    join(dir, "task.yaml"),
    `task_name: t/tools\ndata_builder: core/columns\nrunner_config:\n  num_outputs_to_generate: ${n}\n  seed_batch_size: 3\n${model()}${body}`,
  );
  return dir;
}

const runIn = (dir: string, telemetry?: RecordingTelemetry) =>
  run({
    telemetry,
    taskPaths: [join(dir, "task.yaml")],
    outputDir: join(dir, "out"),
    logger: silentLogger,
    cwd: dir,
    seed: 3,
    cache: { enabled: false },
  });
const out = (dir: string, file = "final_data.jsonl") => readJsonl(join(dir, "out/t/tools", file));

const MCP_TOOLS = `tools:
  registry:
    - { type: mcp, command: "${process.execPath}", args: ["${SERVER}"], namespace: calc, engine: mcp }
  engines: { mcp: { type: mcp, timeout: 10 } }
`;

describe("core/columns LLM columns with tools", () => {
  it("runs the model's calls on a real MCP server and keeps them in <column>__trace", async () => {
    const dir = taskDir(`${MCP_TOOLS}columns:
  - { name: n, type: sampler, sampler_type: uniform, params: { low: 1, high: 50 }, convert_to: int }
  - { name: answer, type: llm_text, model: writer, prompt: "Add {{ n }} and 40.", tools: [calc] }
  - { name: echo, type: expression, expr: "{{ answer__trace[0].result.sum }}", dtype: int }
  - name: total
    type: llm_structured
    model: writer
    prompt: "Add {{ n }} and 40."
    tools: ["calc/add"]
    output_format: { type: object, properties: { sum: { type: integer } }, required: [sum] }
`);
    const result = await runIn(dir);
    expect(result.error).toBeUndefined();
    const rows = out(dir);
    expect(rows).toHaveLength(6);
    for (const r of rows) {
      const sum = Number(r.n) + 40;
      expect(r.answer).toBe(`Result: ${JSON.stringify({ sum })}`);
      expect(r.answer__trace).toEqual([
        {
          id: expect.any(String),
          name: "add",
          namespace: "calc",
          arguments: { a: r.n, b: 40 },
          result: { sum },
        },
      ]);
      expect(r.echo).toBe(sum);
      // A structured column's attempt is a tool loop too; its JSON reply fits the schema.
      expect(r.total).toEqual({ sum });
      expect((r.total__trace as { result: unknown }[]).map((t) => t.result)).toEqual([{ sum }]);
    }
    // Every request is counted: two per tool column and record (the call, then the answer).
    const results = readJsonl(join(dir, "out/t/tools/task_results.jsonl"));
    const metrics = results.at(-1)!.metrics as { requests: number; blocks: object };
    expect(metrics.requests).toBe(24);
    expect(metrics.blocks).toEqual({
      "writer@t.tools": {
        requests: 24,
        prompt_tokens: expect.any(Number),
        completion_tokens: expect.any(Number),
      },
    });
  }, 30_000);

  it("counts the lm engine's LM and the search engine's embeddings; drop removes the trace", async () => {
    const dir = taskDir(
      `tools:
  registry:
    - type: inline
      namespace: shop
      engine: simulator
      tools:
        - name: find_order
          description: Find an order
          parameters: { type: object, properties: { order_number: { type: string } }, required: [order_number] }
          output_parameters: { type: object, properties: { status: { type: string }, eta_days: { type: integer } } }
    - type: inline
      namespace: docs
      engine: search
      tools:
        - name: search_docs
          description: Search the notes
          parameters: { type: object, properties: { query: { type: string } }, required: [query] }
  engines:
    simulator:
      type: lm
      lm_config: { type: openai, model_id_or_path: sim-model, base_url: "${fake.openaiBaseURL}", api_key: sk-fake, max_retries: 0 }
    search:
      type: search/in_memory
      path: "${CORPUS}"
      projection: { doc_id: id, body: text }
      provider: { type: openai, base_url: "${fake.openaiBaseURL}", api_key: sk-fake, model_id_or_path: emb-model }
  enrichments:
    - type: embeddings
      provider: { type: openai, base_url: "${fake.openaiBaseURL}", api_key: sk-fake, model_id_or_path: emb-model }
columns:
  - { name: status, type: llm_text, model: writer, prompt: "Where is my order?", tools: ["shop/*"] }
  - { name: bees, type: llm_text, model: writer, prompt: "What do bees do?", tools: [docs/search_docs], drop: true }
  - { name: summary, type: expression, expr: "{{ bees__trace | length }} search, first {{ bees__trace[0].result[0].id }}" }
`,
      3,
    );
    const telemetry = new RecordingTelemetry();
    const result = await runIn(dir, telemetry);
    expect(result.error).toBeUndefined();
    const rows = out(dir);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(JSON.parse(String(r.status).replace(/^Result: /, ""))).toEqual({
        status: "shipped",
        eta_days: 2,
      });
      expect((r.status__trace as { result: unknown }[])[0]!.result).toEqual({
        status: "shipped",
        eta_days: 2,
      });
      expect("bees" in r).toBe(false);
      expect("bees__trace" in r).toBe(false);
      // The search ranked by the endpoint's vectors: the bees note first.
      expect(r.summary).toBe("1 search, first c6");
    }
    // Two requests per tool column per record, plus the simulator's one per record.
    const results = readJsonl(join(dir, "out/t/tools/task_results.jsonl"));
    const metrics = results.at(-1)!.metrics as {
      requests: number;
      blocks: Record<
        string,
        { requests: number; prompt_tokens: number; completion_tokens: number }
      >;
    };
    expect(metrics.blocks["writer@t.tools"]!.requests).toBe(12);
    expect(metrics.blocks.simulator!.requests).toBe(3);
    expect(metrics.blocks.simulator!.prompt_tokens).toBeGreaterThan(0);
    // The corpus is embedded once, each query once.
    expect(metrics.blocks.search!.requests).toBe(4);
    expect(metrics.blocks.search!.prompt_tokens).toBeGreaterThan(0);
    // The embeddings enrichment embeds the two tools in one request, before the first record.
    expect(metrics.blocks.embeddings!.requests).toBe(1);
    expect(metrics.requests).toBe(20);
    // Telemetry has a dgt.llm_call span for every request, the embeddings ones included.
    const calls = telemetry.spans.filter((x) => x.name === "dgt.llm_call");
    const byModel = (m: string) => calls.filter((x) => x.attributes.model_id === m);
    expect(byModel("fake-model")).toHaveLength(12);
    expect(byModel("sim-model")).toHaveLength(3);
    expect(byModel("emb-model").map((x) => x.attributes.method)).toEqual(
      Array(5).fill("embeddings"),
    );
    // The run summary prices every request, the simulator's too.
    const summary = buildSummary({
      buildId: "b",
      runId: "r",
      startedAt: result.metrics.startedAt,
      tasks: [...result.metrics.tasks.values()],
      outcomes: [],
      prices: {
        openai: {
          "fake-model": { input: 1, output: 2 },
          "sim-model": { input: 10, output: 20 },
          "emb-model": { input: 100, output: 0 },
        },
      },
    });
    const task = summary.tasks.find((t) => t.task === "t/tools")!;
    expect(task.blocks.simulator!.requests).toBe(3);
    expect(task.requests).toBe(20);
    const sim = metrics.blocks.simulator!;
    const writer = metrics.blocks["writer@t.tools"]!;
    const cost =
      (writer.prompt_tokens * 1 + writer.completion_tokens * 2) / 1e6 +
      (sim.prompt_tokens * 10 + sim.completion_tokens * 20) / 1e6 +
      ((metrics.blocks.search!.prompt_tokens + metrics.blocks.embeddings!.prompt_tokens) * 100) /
        1e6;
    expect(task.cost_usd).toBeCloseTo(cost, 6);
  }, 30_000);

  it("a server killed mid-run fails only the records in flight; the others are kept", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "digit-mcp-die-")), "died");
    const dir = taskDir(
      `tools:
  registry:
    - { type: mcp, command: "${process.execPath}", args: ["${SERVER}", "--die-after", "4", "${marker}"], namespace: calc, engine: mcp }
  engines: { mcp: { type: mcp, timeout: 10 } }
columns:
  - { name: n, type: sampler, sampler_type: uniform, params: { low: 1, high: 50 }, convert_to: int }
  - { name: answer, type: llm_text, model: writer, prompt: "Add {{ n }} and 40.", tools: [calc] }
`,
      9,
    );
    const result = await runIn(dir);
    expect(result.error).toBeUndefined();
    expect(existsSync(marker)).toBe(true);
    const rows = out(dir);
    expect(rows).toHaveLength(9);
    for (const r of rows)
      expect((r.answer__trace as { result: unknown }[])[0]!.result).toEqual({
        sum: Number(r.n) + 40,
      });
    const rejects = readJsonl(join(dir, "out/t/tools/blocks/answer.jsonl"));
    // The server died answering its 4th call: the calls in flight then failed their records; the
    // next call started it again, so the run still made its 9 records.
    expect(rejects.length).toBeGreaterThanOrEqual(1);
    for (const r of rejects)
      expect(String(r.reason)).toMatch(/tool 'calc\/add' could not be run: MCP server/);
  }, 30_000);
});

describe("core/columns tools from the builder YAML, in transformation mode", () => {
  it("takes the builder's tools section (an override here) and calls them for every input record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-tools-"));
    writeFileSync(
      join(dir, "task.yaml"),
      `task_name: t/tools\ndata_builder: core/columns\ndata:\n  - { n: 1 }\n  - { n: 2 }\n${model()}columns:\n  - { name: answer, type: llm_text, model: writer, prompt: "Add {{ n }} and 40.", tools: ["*"] }\n`,
    );
    writeFileSync(
      join(dir, "override.yaml"),
      `databuilders:\n  core/columns:\n    ${MCP_TOOLS.replaceAll("\n", "\n    ").trimEnd()}\n`,
    );
    const result = await run({
      taskPaths: [join(dir, "task.yaml")],
      configPath: join(dir, "override.yaml"),
      outputDir: join(dir, "out"),
      logger: silentLogger,
      cwd: dir,
      cache: { enabled: false },
    });
    expect(result.error).toBeUndefined();
    const rows = out(dir).sort((a, b) => Number(a.n) - Number(b.n));
    expect(rows.map((r) => [r.n, r.answer])).toEqual([
      [1, 'Result: {"sum":41}'],
      [2, 'Result: {"sum":42}'],
    ]);
    expect(rows.map((r) => (r.answer__trace as { name: string }[])[0]!.name)).toEqual([
      "add",
      "add",
    ]);
  }, 30_000);
});

const FILE_TOOLS = `tools:
  registry:
    - { type: file, path: "${resolve("test/fixtures/tools/namespaced.yaml")}", engine: sim }
  engines: { sim: { type: lm, lm_config: { type: openai, model_id_or_path: fake-model } } }
`;

describe("core/columns tools: mistakes, reported before any output is touched", () => {
  const fails = async (body: string) => {
    const dir = taskDir(body);
    const result = await runIn(dir).catch((e: unknown) => ({ error: e }));
    expect(isDigitError(result.error)).toBe(true);
    // Planning caught it: not even the output folder was created.
    expect(existsSync(join(dir, "out"))).toBe(false);
    return { dir, error: result.error as DigitError };
  };
  it("an unknown namespace is refused at plan time with the closest name and the line", async () => {
    const { error: e } = await fails(`${MCP_TOOLS}columns:
  - name: answer
    type: llm_text
    model: writer
    prompt: "Add 2"
    tools: [calk]
`);
    expect(e.message).toMatch(/column 'answer' tools: no namespace 'calk'/);
    expect(e.hint).toMatch(/did you mean 'calc'/);
    expect(e.line).toBe(17);
  });
  it("an unknown tool of an MCP server's namespace: the server is listed at plan time", async () => {
    const { error: e } = await fails(`${MCP_TOOLS}columns:
  - { name: answer, type: llm_text, model: writer, prompt: "Add 2", tools: [calc/ad] }
`);
    expect(e.code).toBe("DIGIT_CONFIG_INVALID");
    expect(e.message).toMatch(/column 'answer' tools: no tool 'calc\/ad'/);
    expect(e.hint).toMatch(/did you mean 'calc\/add'/);
    expect(e.file).toMatch(/task\.yaml$/);
    expect(e.line).toBe(13);
  });
  it("a namespace of a tool file (known only once read) is checked at plan time", async () => {
    const { error: e } = await fails(`${FILE_TOOLS}columns:
  - { name: answer, type: llm_text, model: writer, prompt: "Hi", tools: [shp/find_order] }
`);
    expect(e.code).toBe("DIGIT_CONFIG_INVALID");
    expect(e.message).toMatch(/column 'answer' tools: no tool 'shp\/find_order'/);
    expect(e.hint).toMatch(/did you mean 'shop\/find_order'/);
    expect(e.file).toMatch(/task\.yaml$/);
    expect(e.line).toBe(13);
  });
  it("an unknown tool of a tool file: digit validate reports the same, and writes nothing", async () => {
    const { dir, error: e } = await fails(`${FILE_TOOLS}columns:
  - name: answer
    type: llm_text
    model: writer
    prompt: "Hi"
    tools: [shop/find_ordr]
`);
    expect(e.message).toMatch(/no tool 'shop\/find_ordr'/);
    expect(e.hint).toMatch(/did you mean 'shop\/find_order'/);
    expect(e.line).toBe(17);
    const r = await digit(["validate", "task.yaml"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(e.format());
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, "output"))).toBe(false);
  }, 30_000);
  it("tools without a tools: section are refused", async () => {
    const { error: e } = await fails(`columns:
  - { name: answer, type: llm_text, model: writer, prompt: "Add 2", tools: [calc] }
`);
    expect(e.message).toMatch(/names tools, but the task has no 'tools:' section/);
  });
});
