import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
// @ts-expect-error: a plain ESM script without types (scripts/ is not compiled).
import * as check from "../../scripts/check-digit-tasks.mjs";

const { documentTexts, engineDocumentTexts, recordProblems, TASKS } = check;
const DATA = resolve("test/fixtures/compat/data");
const task = parse(readFileSync("test/fixtures/compat/knowledge-task.yaml", "utf8"));
const spec = { file: "knowledge-task.yaml", knowledge: true };
const MIRROR = "/work/.mirror/IBM+fms-dgt/repo";

const history = "# Early lights Record 1: the keeper checked the signal flag at dusk";
const keepers = "# Keepers Entry 1: the keeper checked the logbook at midnight";

/** A record of the knowledge builder's shape, with `context` as given. */
function record(context: unknown, i = 0) {
  return {
    task_name: "test/knowledge/lighthouses",
    is_seed: false,
    task_description: "Teach a model about lighthouses",
    domain: "lighthouses",
    question: `What did keepers write down (${i})?`,
    answer: "The weather.",
    context,
    id: `r${i}`,
  };
}

/** The check's problems (formatted output aside); excerpts stand for chunks unless `chunkSize`. */
function problems(records: unknown[], chunkSize = -1): string[] {
  const ctx = { dataDir: DATA, taskNum: records.length, output: resolve("no/such/dir") };
  return recordProblems({ ...spec }, { ...task, chunk_size: chunkSize }, records, ctx).filter(
    (p: string) => !p.includes("formatted"),
  );
}

describe("check-digit-tasks: the knowledge check", () => {
  it("reads the documents a task includes by glob and by file", () => {
    const docs = documentTexts(task, DATA) as string[];
    expect(docs).toHaveLength(2);
    expect(docs.join("\n")).toContain(history);
    expect(docs.join("\n")).toContain(keepers);
  });

  it("passes records whose context carries text of every document", () => {
    expect(problems([record({ content: history }, 0), record({ content: keepers }, 1)])).toEqual(
      [],
    );
  });

  it.each([
    ["an empty context", "", /context holds no document text/],
    ["a placeholder", { content: "${DGT_DATA_DIR}/knowledge/keepers.md" }, /unresolved/],
    ["a path", { content: `${DATA}/knowledge/keepers.md and more words` }, /a path where text/],
    [
      "other text",
      { content: "A lighthouse is a tower with a bright lamp at the top." },
      /not text/,
    ],
  ])("flags %s", (_what, context, expected) => {
    expect(problems([record(context, 0), record({ content: history }, 1)]).join("; ")).toMatch(
      expected,
    );
  });

  it("flags a chunk of at most 300 words at chunk_size 600 (DiGiT joins it to the last)", () => {
    const [history, keepers] = documentTexts(task, DATA) as string[];
    const tail = keepers!.split(" ").slice(600).join(" ");
    expect(
      problems([record({ content: history }, 0), record({ content: keepers }, 1)], 600),
    ).toEqual([]);
    expect(problems([record({ content: history }, 0), record({ content: tail }, 1)], 600)).toEqual([
      "record 1: a chunk of 45 words (DiGiT joins it to the one before)",
    ]);
  });

  it("checks formatted records carry the context text (Python-quoted, formatters/native)", () => {
    const out = mkdtempSync(join(tmpdir(), "check-formatted-"));
    const records = [record({ content: history }, 0), record({ content: keepers }, 1)];
    const write = (documents: string[]) =>
      writeFileSync(
        join(out, "formatted_data.jsonl"),
        documents
          .map((d) => `${JSON.stringify({ input: "q", output: "a", document: d })}\n`)
          .join(""),
      );
    const check = () =>
      recordProblems({ ...spec }, { ...task, chunk_size: -1 }, records, {
        dataDir: DATA,
        taskNum: 2,
        output: out,
      });
    write([`{'content': '${history}', 'domain': 'x'}`, `{'content': '${keepers}'}`]);
    expect(check()).toEqual([]);
    write([`{'content': '${history}'}`, "[object Object]"]);
    expect(check()).toEqual(["formatted 1: does not carry the record's context text"]);
  });

  it("flags records that reach only some of the documents", () => {
    expect(problems([record({ content: history }, 0), record({ content: history }, 1)])).toEqual([
      "only 1 of the task's 2 documents reached the records",
    ]);
  });
});

describe("check-digit-tasks: counts and fields", () => {
  const rated = (knowledge: unknown) => ({
    task_name: "public/examples/qa_ratings",
    is_seed: false,
    question: "What is the capital of Peru?",
    answer: "Lima",
    ratings: { knowledge, difficulty: "easy" },
    id: "r",
  });
  const check = (records: unknown[], spec: Record<string, unknown> = {}) =>
    recordProblems({ required: ["ratings.knowledge"], ...spec }, {}, records, {
      dataDir: DATA,
      taskNum: 2,
      output: resolve("no/such/dir"),
    });

  it("passes the expected number of full records", () => {
    expect(check([rated("capitals"), rated("rivers")])).toEqual([]);
  });

  it("flags a wrong count, an empty nested field and an unresolved placeholder", () => {
    expect(check([rated("capitals")])).toEqual(["1 records, expected 2"]);
    expect(check([rated("capitals"), rated(null)])).toEqual(["record 1: empty ratings.knowledge"]);
    expect(check([rated("capitals"), rated("about {{ topic }}")]).join()).toMatch(/unresolved/);
  });
});

describe("check-digit-tasks: the grounding check (RAG)", () => {
  const rag = parse(readFileSync("test/fixtures/compat/rag-task.yaml", "utf8"));
  const doc =
    "A mooring permit is issued for one season and names the boat, its length and the berth it " +
    "may use. Renew it at the harbour office before the first of April.";
  const conversation = (documents: string[], answer: string) => ({
    task_name: "test/rag/harbour",
    is_seed: false,
    conversation_id: "c1",
    steps: [
      { role: "rag/scenario", content: "A sailor asks about permits.", documents },
      { role: "user", content: "How long is a permit good for?" },
      { role: "assistant", content: answer },
    ],
    id: "r1",
  });
  const check = (records: unknown[]) =>
    recordProblems({ grounded: true }, rag, records, {
      dataDir: DATA,
      taskNum: records.length,
      output: resolve("no/such/dir"),
    });

  it("reads the corpus of the task's search/file engine through its projection", () => {
    expect(engineDocumentTexts(rag, DATA)).toHaveLength(2);
  });

  it("passes a conversation that carries a document, flags one that carries none", () => {
    expect(check([conversation([doc], "One season.")])).toEqual([]);
    expect(
      check([conversation(["The harbour is lovely in spring and many boats visit."], "One.")]),
    ).toEqual(["record 0: carries no text of the documents"]);
  });
});

describe.skipIf(!existsSync(MIRROR))("check-digit-tasks: the task list", () => {
  it("has an entry for each of DiGiT's task files, and only those", () => {
    const files = execFileSync("git", ["--git-dir", MIRROR, "ls-tree", "-r", "--name-only", "HEAD"])
      .toString()
      .split("\n")
      .filter((f) => f.startsWith("tasks/") && f.endsWith(".yaml"));
    expect(files).toHaveLength(25);
    expect(TASKS.map((t: { file: string }) => t.file).sort()).toEqual(files.sort());
  });

  it("names override files that exist, one for each task file but the time-series ones", () => {
    const overrides = TASKS.flatMap((t: { override?: string }) => t.override ?? []);
    expect(overrides).toHaveLength(22);
    expect(overrides.filter((o: string) => !existsSync(o))).toEqual([]);
  });
});
