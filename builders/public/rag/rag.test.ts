import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../../src/cli/commands/run.js";
import type { Row } from "../../../src/util/mapping.js";
import {
  DEFAULT_SCRIPT,
  type FakeLLM,
  type FakeRequest,
  loadScript,
  startFakeLLM,
} from "../../../test/support/fake-llm/index.js";
import { StaticRagMessagesFormatter } from "./formatter.js";
import { ragMetrics } from "./metrics.js";
import { quotesDocuments } from "./stages/grounding.js";
import { parseUtterance } from "./stages/user.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const FIXTURES = join(ROOT, "test/fixtures/builders/rag");
const DATA = join(FIXTURES, "data");
const STATIC_TASK = join(FIXTURES, "tasks/public/rag/static/city/services/task.yaml");
const LIVE_TASK = join(FIXTURES, "tasks/public/rag/live/task.yaml");
const MOCK = join(ROOT, "configs/mock/public/rag.yaml");

type Doc = { id: string; text: string; metadata?: Row };

function readJsonl(file: string): Row[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Row);
}

async function run(task: string, configPath: string, extra: Row = {}): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), "digit-rag-")), "out");
  const code = await runCommand([task], {
    outputDir: out,
    quiet: true,
    includeNamespaces: ["public"],
    configPath,
    dataDir: DATA,
    numOutputsToGenerate: 4,
    ...extra,
  });
  expect(code).toBe(0);
  return out;
}

const steps = (r: Row) => r.steps as Row[];
const flat = (t: string) => t.replace(/\s+/g, " ");
/** The quoted part of a mock answer ("According to document <id>: "<sentence>""). */
function quoted(answer: string): { id: string; sentence: string } | undefined {
  const m = /^According to document (.+?): "(.+)"$/.exec(answer);
  return m ? { id: m[1]!, sentence: m[2]! } : undefined;
}

describe("public/rag/conversation, static context, offline (mock)", () => {
  let out: string;
  beforeAll(async () => {
    out = await run(STATIC_TASK, MOCK);
  });

  it("grounds every assistant turn in the scenario's documents, drawn from one domain", () => {
    const corpus = new Map(
      readJsonl(join(DATA, "public/rag/static/city/services/documents.jsonl")).map((d) => [
        String(d.id),
        d,
      ]),
    );
    const records = readJsonl(join(out, "public/rag/static/city/services/final_data.jsonl"));
    expect(records).toHaveLength(4);
    for (const r of records) {
      const [scenario, persona] = steps(r);
      expect(scenario).toMatchObject({ role: "rag/scenario", stage_name: "lm/scenario/rag" });
      expect(persona!.role).toBe("persona");
      const docs = scenario!.documents as Doc[];
      expect(docs).toHaveLength(3);
      // group_by: domain keeps a scenario's documents in one domain; each is the corpus text.
      expect(new Set(docs.map((d) => corpus.get(d.id)!.domain)).size).toBe(1);
      for (const d of docs) expect(d.text).toBe(corpus.get(d.id)!.text);
      const users = steps(r).filter((s) => s.role === "user");
      const answers = steps(r).filter((s) => s.role === "assistant");
      expect(users.length).toBe(answers.length);
      expect(users.length).toBeGreaterThanOrEqual(2);
      expect(users.length).toBeLessThanOrEqual(4);
      for (const a of answers) {
        expect(a.stage_name).toBe("lm/assistant/rag/static");
        expect(a.metadata).toMatchObject({ critique_attempts: 1 });
        const q = quoted(String(a.content));
        expect(q, String(a.content)).toBeDefined();
        const doc = docs.find((d) => d.id === q!.id);
        expect(doc, `cites a document of the scenario: ${q!.id}`).toBeDefined();
        expect(flat(doc!.text)).toContain(q!.sentence);
      }
      for (const fc of steps(r).filter((s) => s.role === "flow_controller"))
        expect(fc.stage_name).toBe("lm/flow_controller/rag");
    }
  });

  it("records DiGiT's RAG metrics in task_results.jsonl", () => {
    const records = readJsonl(join(out, "public/rag/static/city/services/final_data.jsonl"));
    const results = readJsonl(join(out, "public/rag/static/city/services/task_results.jsonl"));
    const m = results[results.length - 1]!.metrics as Row;
    const turns = records.map((r) => steps(r).filter((s) => s.role === "user").length);
    const used = new Set(
      records.flatMap((r) => (steps(r)[0]!.documents as Doc[]).map((d) => d.id)),
    );
    expect(m).toMatchObject({
      corpus_size: 9,
      unique_docs_used: used.size,
      corpus_coverage_pct: Math.round((used.size / 9) * 10000) / 100,
      min_turns: Math.min(...turns),
      max_turns: Math.max(...turns),
      retrieval_tool_call_rate: null,
    });
    expect(m.avg_turns).toBeCloseTo(turns.reduce((a, b) => a + b, 0) / turns.length, 2);
    const patterns = records.flatMap((r) =>
      steps(r)
        .filter((s) => s.role === "flow_controller")
        .map((s) => String(s.content)),
    );
    expect(
      Object.values(m.flow_pattern_counts as Row).reduce((a, b) => Number(a) + Number(b), 0),
    ).toBe(patterns.length);
  });

  it("formats DiGiT's static shape: user/assistant messages and the scenario's documents", () => {
    const records = readJsonl(join(out, "public/rag/static/city/services/final_data.jsonl"));
    const formatted = readJsonl(join(out, "public/rag/static/city/services/formatted_data.jsonl"));
    expect(formatted).toHaveLength(records.length);
    for (const [i, f] of formatted.entries()) {
      expect(Object.keys(f)).toEqual(["conversation_id", "messages", "documents"]);
      expect(f.conversation_id).toBe(records[i]!.conversation_id);
      const roles = (f.messages as Row[]).map((m) => m.role);
      expect(roles.every((role, k) => role === (k % 2 === 0 ? "user" : "assistant"))).toBe(true);
      expect(f.documents).toEqual(steps(records[i]!)[0]!.documents);
    }
  });
});

describe("public/rag/conversation, live retrieval, offline (mock)", () => {
  it("searches on each question and answers from what came back, or admits a failed search", async () => {
    const out = await run(LIVE_TASK, MOCK);
    const corpus = new Map(
      readJsonl(join(DATA, "knowledge_base.jsonl")).map((d) => [String(d.doc_id), d]),
    );
    const records = readJsonl(join(out, "public/rag/live/final_data.jsonl"));
    expect(records).toHaveLength(4);
    let searches = 0;
    let failures = 0;
    for (const r of records) {
      const s = steps(r);
      s.forEach((step, k) => {
        if (step.role !== "tool_call") return;
        searches++;
        const call = step.content as Row;
        expect(call).toMatchObject({ name: "search_documents", call_id: expect.any(String) });
        expect(String((call.arguments as Row).query)).toBe(String(s[k - 1]!.content));
        const result = s[k + 1]!.content as Row;
        expect(s[k + 1]!.role).toBe("tool_result");
        expect(result.call_id).toBe(call.call_id);
        const answer = String(s[k + 2]!.content);
        expect(s[k + 2]!.role).toBe("assistant");
        if (Array.isArray(result.result)) {
          const docs = result.result as Doc[];
          for (const d of docs) expect(d.text).toBe(corpus.get(d.id)!.body);
          const q = quoted(answer);
          expect(q, answer).toBeDefined();
          const doc = docs.find((d) => d.id === q!.id);
          expect(doc, `cites a retrieved document: ${q!.id}`).toBeDefined();
          expect(flat(doc!.text)).toContain(q!.sentence);
        } else {
          failures++;
          expect(answer).toMatch(/could not search|nothing I can use/);
        }
      });
    }
    expect(searches).toBeGreaterThan(4);
    expect(failures).toBeLessThan(searches);
    const formatted = readJsonl(join(out, "public/rag/live/formatted_data.jsonl"));
    const messages = formatted.flatMap((f) => f.messages as Row[]);
    expect(messages.some((m) => Array.isArray(m.tool_calls))).toBe(true);
    expect(messages.some((m) => m.role === "tool")).toBe(true);
  });
});

describe("public/rag/conversation, seeded", () => {
  it("repeats its records exactly with the same --seed", async () => {
    const final = async () =>
      readFileSync(
        join(await run(LIVE_TASK, MOCK, { seed: 11 }), "public/rag/live/final_data.jsonl"),
        "utf8",
      );
    const [a, b] = [await final(), await final()];
    expect(a.length).toBeGreaterThan(0);
    expect(b).toBe(a);
  });
});

describe("public/rag/conversation, bad input", () => {
  let stderr = "";
  beforeEach(() => {
    stderr = "";
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  /** Run a copy of the static fixture with one line changed; the error as printed. */
  async function failure(from: string, to: string, data = DATA): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "digit-rag-bad-"));
    const task = join(dir, "task.yaml");
    const text = readFileSync(STATIC_TASK, "utf8");
    expect(text).toContain(from);
    writeFileSync(task, text.replace(from, to));
    const out = join(dir, "out");
    const code = await runCommand([task], {
      outputDir: out,
      quiet: true,
      includeNamespaces: ["public"],
      configPath: MOCK,
      dataDir: data,
    });
    expect(code).toBe(1);
    expect(existsSync(join(out, "public"))).toBe(false); // checked before anything is written
    expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
    return stderr.replaceAll(dir, "<dir>");
  }

  it("a missing document file names the engine's path line", async () => {
    const e = await failure("services/documents.jsonl", "services/nope.jsonl");
    expect(e).toMatch(
      /tools\.engines\.file_retriever: search corpus '.*nope\.jsonl' does not exist/,
    );
    expect(e).toContain("(<dir>/task.yaml:25)");
    expect(e).toMatch(/fix: .*DGT_DATA_DIR/);
    expect(e).toContain("[DIGIT_FILE_NOT_FOUND]");
  });

  it("an empty corpus is refused before the run", async () => {
    const data = mkdtempSync(join(tmpdir(), "digit-rag-data-"));
    cpSync(DATA, data, { recursive: true });
    writeFileSync(join(data, "public/rag/static/city/services/documents.jsonl"), "\n");
    const e = await failure("limit: 3", "limit: 3", data);
    expect(e).toMatch(/the corpus '.*documents\.jsonl' has no documents \(<dir>\/task\.yaml:25\)/);
    expect(e).toContain("[DIGIT_DATA_FILE]");
  });

  it("an unknown search engine, by name or by type, gets the closest known one", async () => {
    const byName = await failure("engine: file_retriever", "engine: file_retreiver");
    expect(byName).toMatch(
      /document_samplers\[0\]: search engine 'file_retreiver' is not defined in tools\.engines \(<dir>\/task\.yaml:37\)/,
    );
    expect(byName).toContain("fix: did you mean 'file_retriever'?");
    expect(byName).toContain("[DIGIT_CONFIG_INVALID]");
    stderr = "";
    const byType = await failure("type: search/file", "type: search/fiel");
    expect(byType).toMatch(/engine type 'search\/fiel' is not known \(<dir>\/task\.yaml:24\)/);
    expect(byType).toContain("fix: did you mean 'search/file'?");
  });
});

describe("public/rag/conversation over HTTP (fake server)", () => {
  let server: FakeLLM;
  const requests: FakeRequest[] = [];
  beforeAll(async () => {
    server = await startFakeLLM({
      ...DEFAULT_SCRIPT,
      // The answering model quotes the first sentence of the first document it was given, so the
      // records show that the documents travelled in the HTTP requests.
      respond: (r) => {
        requests.push(r);
        const messages = (r.body.messages ?? []) as { role: string; content: unknown }[];
        const system = String(messages[0]?.content ?? "");
        if (!system.startsWith("You are a helpful AI assistant. Answer only from the documents"))
          return undefined;
        const doc = /\[Document 1 \| id=(.+?)\]\n([^\n]+?[.!?])(\s|$)/.exec(system);
        return doc ? `According to document ${doc[1]}: "${doc[2]}"` : undefined;
      },
    });
  });
  afterAll(() => server.close());

  it("runs the static task against the server through the bundled fake-llm override", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "digit-rag-fake-")), "fake.yaml");
    writeFileSync(
      config,
      readFileSync(join(ROOT, "configs/fake-llm/rag.yaml"), "utf8").replaceAll(
        "http://127.0.0.1:8000/v1",
        server.openaiBaseURL,
      ),
    );
    const out = await run(STATIC_TASK, config, { cache: false });
    const records = readJsonl(join(out, "public/rag/static/city/services/final_data.jsonl"));
    expect(records).toHaveLength(4);
    const chat = requests.filter((r) => r.kind === "chat");
    expect(chat.length).toBeGreaterThan(0);
    // Structured requests (scenario, user, critique, flow controller) asked for their schemas.
    const schemas = new Set(
      chat.map((r) => (r.body.response_format as Row | undefined)?.json_schema as Row | undefined),
    );
    const names = [...schemas].map((s) => s?.name).filter(Boolean);
    expect(names).toEqual(
      expect.arrayContaining(["rag_scenario", "rag_user_turn", "rag_critique", "hint"]),
    );
    for (const r of records) {
      const docs = steps(r)[0]!.documents as Doc[];
      for (const a of steps(r).filter((s) => s.role === "assistant"))
        expect(quotesDocuments(String(a.content), docs)).toBe(true);
    }
  });
});

describe("public/rag/conversation live retrieval over HTTP (fake server with the RAG script)", () => {
  let server: FakeLLM;
  beforeAll(async () => {
    server = await startFakeLLM(await loadScript(join(ROOT, "configs/fake-llm/rag-script.yaml")));
  });
  afterAll(() => server.close());

  it("the server's tool calls run through the task's search engine and come back as steps", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "digit-rag-fake-")), "fake.yaml");
    writeFileSync(
      config,
      readFileSync(join(ROOT, "configs/fake-llm/rag.yaml"), "utf8").replaceAll(
        "http://127.0.0.1:8000/v1",
        server.openaiBaseURL,
      ),
    );
    const out = await run(LIVE_TASK, config, { cache: false });
    const records = readJsonl(join(out, "public/rag/live/final_data.jsonl"));
    expect(records).toHaveLength(4);
    const ids = new Set(readJsonl(join(DATA, "knowledge_base.jsonl")).map((d) => d.doc_id));
    let retrieved = 0;
    for (const r of records)
      for (const [k, s] of steps(r).entries()) {
        if (s.role !== "tool_call") continue;
        expect((s.content as Row).arguments).toEqual({ query: steps(r)[k - 1]!.content });
        const result = (steps(r)[k + 1]!.content as Row).result;
        if (Array.isArray(result))
          for (const d of result as Doc[]) expect(ids.has(d.id)).toBe(true);
        retrieved += Array.isArray(result) ? result.length : 0;
      }
    expect(retrieved).toBeGreaterThan(0);
  });
});

describe("helpers", () => {
  it("RAG metrics: turns, words, coverage, patterns, completion and the live call rate", () => {
    const step = (role: string, content: unknown, extra: Row = {}) => ({ role, content, ...extra });
    const live = {
      steps: [
        step("rag/scenario", "s", { documents: [] }),
        step("flow_controller", "a", { terminate: false }),
        step("user", "one two"),
        step("tool_call", {}),
        step("tool_result", {}),
        step("assistant", "one two three four"),
        step("flow_controller", "end", { terminate: true }),
        step("user", "bye"),
        step("assistant", "ok"),
      ],
    };
    const grounded = {
      steps: [
        step("rag/scenario", "s", { documents: [{ id: "d1" }, { id: "d2" }] }),
        step("flow_controller", "a", { terminate: false }),
        step("user", "q"),
        step("assistant", "a b"),
      ],
    };
    expect(ragMetrics([live, grounded], 4)).toEqual({
      avg_turns: 1.5,
      std_turns: 0.71,
      min_turns: 1,
      max_turns: 2,
      avg_user_turn_words: 1.33,
      std_user_turn_words: 0.58,
      avg_assistant_turn_words: 2.33,
      std_assistant_turn_words: 1.53,
      corpus_size: 4,
      unique_docs_used: 2,
      corpus_coverage_pct: 50,
      flow_pattern_counts: { a: 2, end: 1 },
      flow_pattern_distribution: { a: 0.75, end: 0.5 },
      flow_pattern_distribution_std: { a: 0.3536, end: 0 },
      completion_rate: 0.5,
      retrieval_tool_call_rate: 0.5,
    });
  });

  it("the static formatter keeps only user and assistant turns and passes documents verbatim", () => {
    const docs = [{ id: "a", text: "A.", metadata: { domain: "x" } }];
    const row = {
      conversation_id: "c",
      steps: [
        { role: "rag/scenario", content: "s", documents: docs },
        { role: "flow_controller", content: "p" },
        { role: "user", content: "q" },
        { role: "assistant", content: "a" },
      ],
    };
    expect(new StaticRagMessagesFormatter({}).apply(row)).toEqual({
      conversation_id: "c",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "a" },
      ],
      documents: docs,
    });
  });

  it("a user reply falls back from utterance to the draft to the raw text", () => {
    expect(parseUtterance('{"utterance": " Hi "}')).toBe("Hi");
    expect(parseUtterance('{"utterance": "", "proposed_utterance": "Draft"}')).toBe("Draft");
    expect(parseUtterance("plain text")).toBe("plain text");
  });
});
