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

const PHOTO = "public/instructlab/knowledge/science/photosynthesis";
const WATER = "public/instructlab/knowledge/science/water_cycle";
const SHAPE = {
  task_name: "string",
  is_seed: "boolean",
  task_description: "string",
  domain: "string",
  question: "string",
  answer: "string",
  context: "object",
  tags: "object",
  id: "string",
};

const llm = scriptedFakeLLM("test/fixtures/builders/instructlab_knowledge/fake.yaml", 5);

function override(dir: string, kind: "openai" | "ollama") {
  return writeOverride(dir, "override.yaml", {
    databuilders: {
      "instructlab/knowledge": {
        blocks: [
          { name: "generator", ...fakeBlock(kind, llm.fake, { call_limit: 4 }) },
          { name: "validator", lm_config: fakeBlock(kind, llm.fake, { call_limit: 4 }) },
          { name: "tagger", lm_config: fakeBlock(kind, llm.fake, { call_limit: 4 }) },
        ],
      },
    },
  });
}

describe.each(["openai", "ollama"] as const)("instructlab/knowledge over HTTP (%s)", (kind) => {
  it("runs an FRQ task on inline documents and an MCQ task on a datastore, judged per criterion", async () => {
    const dir = tempDir("knowledge");
    const code = await digitRun([
      "tasks/public/instructlab/knowledge",
      "--include-namespaces",
      "public",
      "--config-path",
      override(dir, kind),
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
    ]);
    expect(code).toBe(0);
    const photo = readJsonl(join(dir, PHOTO, "final_data.jsonl"));
    expect(photo).toHaveLength(3);
    for (const r of photo) {
      expect(shape(r)).toEqual(SHAPE);
      expect(r.domain).toBe("biology");
      expect(String(r.question)).toMatch(/^What sugar do plants make in passage \d+\?$/); // the unfaithful and the cut-off pairs are gone
      expect(String((r.context as Row).content)).not.toMatch(/References|Example Biology Textbook/);
    }
    const rejects = readJsonl(join(dir, PHOTO, "blocks", "validator.jsonl"));
    expect(rejects.length).toBeGreaterThanOrEqual(1);
    expect(rejects.every((r) => /UNFAITHFUL/.test(String(r.question)))).toBe(true);
    const water = readJsonl(join(dir, WATER, "final_data.jsonl"));
    expect(water).toHaveLength(3);
    for (const r of water) {
      expect(shape(r)).toEqual(SHAPE);
      expect(String(r.question)).toMatch(/A\) Evaporation B\) Precipitation/);
      expect(typeof (r.context as Row).title).toBe("string");
      expect(String((r.context as Row).content)).not.toMatch(/Hydrology Notes/);
    }
    expect(
      readJsonl(join(dir, WATER, "knowledge_dataloader_state.jsonl")).length,
    ).toBeGreaterThanOrEqual(1);
    // Every pair surviving faithfulness went through relevancy and question verification.
    const judged = (re: RegExp) => llm.seen.filter((r) => re.test(r.prompt)).length;
    expect(judged(/Score how well the answer addresses/)).toBeGreaterThan(0);
    expect(judged(/good study question/)).toBe(judged(/Score how well the answer addresses/));
    expect(llm.fake.stats().peakInFlight).toBeLessThanOrEqual(4);
  });
});

describe("instructlab/knowledge offline and errors", () => {
  it("runs with the mock override", async () => {
    const dir = tempDir("knowledge-mock");
    const code = await digitRun([
      `tasks/public/instructlab/knowledge/science/photosynthesis/task.yaml`,
      "--include-namespaces",
      "public",
      "--config-path",
      "configs/mock/public/instructlab/knowledge.yaml",
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "2",
    ]);
    expect(code).toBe(0);
    expect(readJsonl(join(dir, PHOTO, "final_data.jsonl"))).toHaveLength(2);
  });
  it("stops when the documents run out and loop_over is off", async () => {
    const dir = tempDir("knowledge-end");
    const file = writeOverride(dir, "end.yaml", {
      tasks: { [WATER]: { loop_over: false } },
      databuilders: {
        "instructlab/knowledge": {
          blocks: [
            { name: "generator", ...fakeBlock("openai", llm.fake) },
            { name: "validator", lm_config: fakeBlock("openai", llm.fake) },
            { name: "tagger", lm_config: fakeBlock("openai", llm.fake) },
          ],
        },
      },
    });
    const code = await digitRun([
      `tasks/public/instructlab/knowledge/science/water_cycle/task.yaml`,
      "--include-namespaces",
      "public",
      "--config-path",
      file,
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "50",
    ]);
    expect(code).toBe(3);
    const rows = readJsonl(join(dir, WATER, "final_data.jsonl"));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThan(50);
  });
});

describe("instructlab/knowledge on a task shaped like DiGiT's (include: documents mapping)", () => {
  const FIXTURE = "test/fixtures/builders/instructlab_knowledge/included";
  const TASK = "instructlab/knowledge/history/lighthouses";

  it("sends the included documents' text (a glob's files, single files, a list), never their paths", async () => {
    const dir = tempDir("knowledge-include");
    const file = writeOverride(dir, "override.yaml", {
      databuilders: {
        "instructlab/knowledge": {
          blocks: [
            { name: "generator", ...fakeBlock("openai", llm.fake) },
            { name: "validator", lm_config: fakeBlock("openai", llm.fake) },
            { name: "tagger", lm_config: fakeBlock("openai", llm.fake) },
          ],
        },
      },
    });
    const args = [
      join(FIXTURE, "tasks/lighthouses/task.yaml"),
      "--include-namespaces",
      "public",
      "--config-path",
      file,
      "--data-dir",
      join(FIXTURE, "data"),
      "--output-dir",
      dir,
      "--restart",
    ];
    expect(await digitRun([...args, "--num-outputs-to-generate", "4"])).toBe(0);
    const rows = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(rows).toHaveLength(4);
    const contents = rows.map((r) => String((r.context as Row).content));
    for (const c of contents) expect(c).not.toMatch(/DGT_DATA_DIR|public\/lighthouses|\.md\b|\*/);
    const prompts = llm.seen.map((r) => r.prompt).join("\n");
    expect(prompts).not.toMatch(/lighthouses\/ancient_\*|\.md\b/);
    // Each file was read: both files of the glob, the single file and the listed file.
    for (const text of [
      "Pharos stood on an island",
      "Tower of Hercules in northern Spain",
      "lens of concentric prisms",
      "Keepers trimmed wicks",
    ])
      expect(prompts).toContain(text);
    expect(new Set(rows.map((r) => (r.context as Row).group))).toEqual(
      new Set(["ancient_group", "lenses", "keepers"]),
    );
  });
});
