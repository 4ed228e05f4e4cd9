import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  digitRun,
  fakeBlock,
  readJsonl,
  scriptedFakeLLM,
  shape,
  tempDir,
  writeOverride,
} from "./support.js";

const CAUSAL = "public/instructlab/simple/logical_reasoning/causal";
const TEMPORAL = "public/instructlab/simple/temporal_reasoning";
const RECORD_SHAPE = {
  task_name: "string",
  is_seed: "boolean",
  taxonomy_path: "string",
  task_description: "string",
  instruction: "string",
  input: "string",
  output: "string",
  document: "null",
  id: "string",
};

const llm = scriptedFakeLLM("test/fixtures/builders/instructlab_simple/fake.yaml", 20);

function override(dir: string, kind: "openai" | "ollama", extra: Record<string, unknown> = {}) {
  return writeOverride(dir, "override.yaml", {
    databuilders: {
      "public/instructlab/simple": {
        blocks: [{ name: "generator", ...fakeBlock(kind, llm.fake, { call_limit: 2 }) }],
      },
    },
    ...extra,
  });
}

describe.each(["openai", "ollama"] as const)("public/instructlab/simple over HTTP (%s)", (kind) => {
  it("runs both tasks in one invocation, sharing the generator and its call limit", async () => {
    const dir = tempDir("il-simple");
    const code = await digitRun([
      "tasks/public/instructlab/simple",
      "--include-namespaces",
      "public",
      "--config-path",
      override(dir, kind),
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "4",
    ]);
    expect(code).toBe(0);
    for (const task of [CAUSAL, TEMPORAL]) {
      const rows = readJsonl(join(dir, task, "final_data.jsonl"));
      expect(rows).toHaveLength(4);
      for (const r of rows) {
        expect(shape(r)).toEqual(RECORD_SHAPE);
        expect(r.task_name).toBe(task);
        expect(r.taxonomy_path).toBe(task);
        expect(r.input).toBe("");
      }
      expect(readJsonl(join(dir, task, "postproc_data_1.jsonl")).length).toBeGreaterThanOrEqual(4);
    }
    const causal = readJsonl(join(dir, CAUSAL, "final_data.jsonl"));
    expect(
      causal.every((r) => /^If rain number \d+ wets the street/.test(String(r.instruction))),
    ).toBe(true);
    const temporal = readJsonl(join(dir, TEMPORAL, "final_data.jsonl"));
    expect(temporal.every((r) => /^A film starts at \d+:00/.test(String(r.instruction)))).toBe(
      true,
    );
    // Completion requests with the stop sequence after the one task asked for.
    const stats = llm.fake.stats();
    const path = kind === "openai" ? "/v1/completions" : "/api/generate";
    expect(stats.prompts).toBe(llm.seen.length);
    // OpenAI-compatible completion requests carry several prompts (batch_size); Ollama's one each.
    if (kind === "openai") expect(stats.byPath[path]).toBeLessThan(llm.seen.length);
    else expect(stats.byPath[path]).toBe(llm.seen.length);
    for (const b of llm.seen) {
      expect(b.kind).toBe("completion");
      const stop = kind === "openai" ? b.body.stop : (b.body.options as { stop?: unknown }).stop;
      expect(stop).toEqual(["* Task 4"]);
      expect(b.prompt).toMatch(
        /\* Task 1\n\*\* Instruction\n[\s\S]*\* Task 2\n[\s\S]*\* Task 3\n$/,
      );
    }
    // One credential limit for both tasks.
    expect(stats.peakInFlight).toBeLessThanOrEqual(2);
    expect(stats.peakInFlight).toBeGreaterThanOrEqual(1);
  });
});

describe("public/instructlab/simple behaviour", () => {
  it("deduplicates on the instruction (DiGiT compared the empty input field) and writes the rejects", async () => {
    const dir = tempDir("il-dedup");
    llm.fake.configure({
      respond: () =>
        "** Instruction\nWhat happens to ice left in the sun for an hour?\n** Input\n<noinput>\n** Output\nIt melts, version {{n}}.",
    });
    const code = await digitRun([
      `tasks/public/instructlab/simple/logical_reasoning/causal/task.yaml`,
      "--include-namespaces",
      "public",
      "--config-path",
      override(dir, "openai"),
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
      "--max-stalled-requests",
      "2",
    ]);
    expect(code).toBe(3); // stalled: every new instruction is a duplicate
    const final = readJsonl(join(dir, CAUSAL, "final_data.jsonl"));
    expect(final).toHaveLength(1);
    expect(final[0]!.input).toBe("");
    const rejects = readJsonl(join(dir, CAUSAL, "blocks", "rouge_val.jsonl"));
    expect(rejects.length).toBeGreaterThanOrEqual(2);
    expect(
      rejects.every((r) => r.instruction === final[0]!.instruction && r.block_name === "rouge_val"),
    ).toBe(true);
  });

  it("runs the config-only task file form with task_files and include: of seeds", async () => {
    const dir = tempDir("il-config");
    const config = parse(
      readFileSync("configs/public/instructlab/simple_full_config.yaml", "utf8"),
    ) as Record<string, unknown>;
    config.databuilders = {
      "public/instructlab/simple": {
        blocks: [{ name: "generator", ...fakeBlock("ollama", llm.fake) }],
      },
    };
    const file = writeOverride(dir, "full.yaml", config);
    const code = await digitRun([
      "--include-namespaces",
      "public",
      "--config-path",
      file,
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "2",
    ]);
    expect(code).toBe(0);
    for (const task of [CAUSAL, TEMPORAL])
      expect(readJsonl(join(dir, task, "final_data.jsonl"))).toHaveLength(2);
    const card = readJsonl(join(dir, TEMPORAL, "task_card.jsonl"))[0]!;
    const spec = JSON.stringify(card);
    expect(spec).toContain("The bakery opens two hours after sunrise");
    const causalCard = JSON.stringify(readJsonl(join(dir, CAUSAL, "task_card.jsonl"))[0]);
    expect(causalCard).toContain("If a dropped glass always breaks on tile");
  });

  it("fails before generating when a task has no seeds", async () => {
    const dir = tempDir("il-noseed");
    const file = override(dir, "ollama", { tasks: { [TEMPORAL]: { seed_examples: null } } });
    const code = await digitRun([
      `tasks/public/instructlab/simple/temporal_reasoning/task.yaml`,
      "--include-namespaces",
      "public",
      "--config-path",
      file,
      "--output-dir",
      dir,
      "--restart",
    ]);
    expect(code).toBe(1);
    expect(llm.fake.stats().completed).toBe(0);
  });

  it("runs offline with the mock override", async () => {
    const dir = tempDir("il-mock");
    const code = await digitRun([
      "tasks/public/instructlab/simple",
      "--include-namespaces",
      "public",
      "--config-path",
      "configs/mock/public/instructlab/simple.yaml",
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
    ]);
    expect(code).toBe(0);
    for (const task of [CAUSAL, TEMPORAL]) {
      const rows = readJsonl(join(dir, task, "final_data.jsonl"));
      expect(rows).toHaveLength(3);
      expect(rows.some((r) => /picture|Draw/.test(String(r.instruction)))).toBe(false);
    }
  });
});
