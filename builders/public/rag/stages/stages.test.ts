import { type Block, Random, type Row } from "digit-sdg";
import { describe, expect, it } from "vitest";
import { InMemorySearchEngine } from "../../../../src/tools/search/in-memory.js";
import { makeBlock } from "../../../../test/support/make-block.js";
import {
  blankConversation,
  type Conversation,
  lastStep,
  makeStep,
  scenarioText,
} from "../../../core/conversation/conversation.js";
import { createStage, type StageContext } from "../../../core/conversation/stages/index.js";
import { RAG_SCENARIO, renderDocuments, sentencesOf } from "../documents.js";
import type { RagStageExtras } from "../extras.js";
import { buildSamplers } from "../samplers.js";
import { rankBySimilarity } from "../similarity.js";
import { parseCritique } from "./assistant-static.js";
import { groundedAnswer, quotesDocuments } from "./grounding.js";
import "./index.js";
import { shortenWords } from "./scenario.js";
import { ragUserMessages } from "./user.js";

const docs = [
  { id: "fees", text: "Fees are due in May each year. Late fees of ten dollars apply after that." },
  {
    id: "rooms",
    text: "Meeting rooms can be booked for three hours. Bookings open sixty days ahead.",
  },
];

function ctx(): StageContext {
  return {
    seedData: [],
    rng: new Random(1),
    logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
    taskName: "t",
    loadRows: async () => [],
  };
}

function conversationWithDocs(question: string): Conversation {
  const c = blankConversation("t");
  c.steps.push(
    makeStep(RAG_SCENARIO, "A member asks about fees.", "lm/scenario/rag", { documents: docs }),
  );
  c.steps.push(makeStep("user", question, "lm/user/rag"));
  return c;
}

describe("rag/scenario step", () => {
  it("is a scenario step for the core stages, and only rag/scenario steps are RAG ones", () => {
    const c = conversationWithDocs("When?");
    expect(scenarioText(c)).toBe("A member asks about fees.");
    expect(lastStep(c, "scenario")?.role).toBe(RAG_SCENARIO);
    c.steps.push(makeStep("scenario", "plain", null));
    expect(lastStep(c, RAG_SCENARIO)?.content).toBe("A member asks about fees.");
  });

  it("renders documents with their number and id", () => {
    expect(renderDocuments(docs)).toMatch(/^\[Document 1 \| id=fees\]\nFees are due/);
    expect(renderDocuments([])).toBe("(no documents provided)");
  });
});

describe("grounding helpers", () => {
  it("ranks texts by TF-IDF similarity", () => {
    expect(
      rankBySimilarity(
        "book a meeting room",
        docs.map((d) => d.text),
      ),
    ).toEqual([1, 0]);
  });

  it("answers with the sentence closest to the question, from the closest document", () => {
    expect(groundedAnswer("How late can fees be paid?", docs)).toBe(
      'According to document fees: "Late fees of ten dollars apply after that."',
    );
    expect(groundedAnswer("x", [])).toMatch(/do not cover/);
  });

  it("tells an answer that quotes a document from one that does not", () => {
    expect(quotesDocuments('It says: "Meeting rooms can be booked for three hours."', docs)).toBe(
      true,
    );
    expect(quotesDocuments("Meeting rooms can be booked for five hours.", docs)).toBe(false);
  });

  it("splits sentences and shortens long texts at beginning, middle and end", () => {
    expect(sentencesOf(docs[0]!.text)).toHaveLength(2);
    expect(shortenWords("a b c d e f g h i", 3)).toBe("a [...] e [...] i");
  });

  it("reads a critique; an unreadable one is a rejection", () => {
    expect(parseCritique('{"valid": "Yes", "issues": "", "reasoning": "r"}').valid).toBe(true);
    expect(parseCritique("looks fine").valid).toBe(false);
  });
});

describe("document samplers", () => {
  const engines = async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const path = join(mkdtempSync(join(tmpdir(), "rag-samplers-")), "c.jsonl");
    writeFileSync(path, docs.map((d) => JSON.stringify(d)).join("\n"));
    const engine = new InMemorySearchEngine({
      path,
      format: "jsonl",
      projection: {},
      limit: 5,
      error_categories: [],
      fuzzy: 0.2,
      prefix: true,
    });
    return new Map([["docs", engine]]);
  };

  it("draws k documents of the named engine", async () => {
    const pairs = buildSamplers(
      [{ type: "search/random", engine: "docs", weight: 1 }],
      await engines(),
      "here",
    );
    expect(pairs[0]!.sampler.sample(new Random(2), 1)).toHaveLength(1);
  });

  it("refuses unknown types and engines with the closest name, and weights not adding up to 1", async () => {
    const e = await engines();
    expect(() =>
      buildSamplers([{ type: "search/randm", engine: "docs", weight: 1 }], e, "here"),
    ).toThrow(/document sampler 'search\/randm' is not known/);
    expect(() => buildSamplers([{ type: "random", engine: "doc", weight: 1 }], e, "here")).toThrow(
      /engine 'doc' is not a search engine/,
    );
    expect(() =>
      buildSamplers([{ type: "random", engine: "docs", weight: 0.5 }], e, "here"),
    ).toThrow(/add up to 0.5, not 1/);
  });
});

describe("lm/assistant/rag/static", () => {
  async function stage(responses: Row[], maxRetries: number) {
    const { block } = await makeBlock("mock", { responses }, "generator");
    const blocks = new Map<string, Block>([["generator", block]]);
    const extras = { rag: {} as RagStageExtras };
    return createStage(
      { name: "lm/assistant/rag/static", max_retries: maxRetries },
      blocks,
      "test",
      extras,
    );
  }
  const answer = { match: "When are fees due", response: "{{example_answer}}" };
  const no = {
    match: "claim by claim",
    response: '{"reasoning": "r", "valid": "no", "issues": "Say where May comes from."}',
  };
  const yes = {
    match: "claim by claim",
    response: '{"reasoning": "ok", "valid": "yes", "issues": ""}',
  };
  const rewrite = { match: "not fully grounded", response: "{{example_answer}}" };

  it("rewrites a rejected answer with the critique's issues and keeps the accepted one", async () => {
    const s = await stage([answer, no, yes, rewrite], 1);
    const c = conversationWithDocs("When are fees due?");
    const out = await s.run([c], ctx());
    expect(out).toEqual([c]);
    const a = c.steps[c.steps.length - 1]!;
    expect(a).toMatchObject({ role: "assistant", stage_name: "lm/assistant/rag/static" });
    expect(String(a.content)).toContain("Fees are due in May each year.");
    expect(a.metadata).toEqual({ critique_attempts: 2, critique_reasoning: "ok" });
  });

  it("drops the conversation when every attempt is rejected", async () => {
    const s = await stage([answer, no, rewrite], 2);
    const c = conversationWithDocs("When are fees due?");
    expect(await s.run([c], ctx())).toEqual([]);
    expect(c.steps.filter((x) => x.role === "assistant")).toHaveLength(0);
  });
});

describe("lm/user/rag messages", () => {
  it("swap roles and show tool calls and results as text, so every message is a plain turn", () => {
    const c = conversationWithDocs("When are fees due?");
    c.steps.push(
      makeStep("tool_call", { name: "search", arguments: { query: "fees" }, call_id: "c1" }, null),
      makeStep("tool_result", { call_id: "c1", name: "search", result: [docs[0]] }, null),
      makeStep("assistant", "In May.", null),
    );
    const m = ragUserMessages(c);
    expect(m[0]!.role).toBe("system");
    expect(String(m[0]!.content)).toContain("[Document 1 | id=fees]");
    expect(m.slice(1, -1)).toEqual([
      { role: "assistant", content: "When are fees due?" },
      { role: "user", content: '(the assistant searches: search({"query":"fees"}))' },
      { role: "user", content: `(search results: ${JSON.stringify([docs[0]])})` },
      { role: "user", content: "In May." },
    ]);
    expect(m.every((x) => !("tool_calls" in x) && x.role !== "tool")).toBe(true);
  });
});
