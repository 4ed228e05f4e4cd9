import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  digitRun,
  fakeBlock,
  readJsonl,
  scriptedFakeLLM,
  shape,
  tempDir,
  writeOverride,
} from "./support.js";

const FREE = "public/instructlab/skills/writing/freeform/debate";
const GROUNDED = "public/instructlab/skills/writing/grounded/editing/grammar";

const llm = scriptedFakeLLM("test/fixtures/builders/instructlab_skills/fake.yaml", 5);

function override(dir: string, kind: "openai" | "ollama") {
  return writeOverride(dir, "override.yaml", {
    databuilders: {
      "instructlab/skills": {
        blocks: [
          { name: "generator", ...fakeBlock(kind, llm.fake, { call_limit: 3 }) },
          { name: "validator", lm_config: fakeBlock(kind, llm.fake, { call_limit: 3 }) },
          { name: "tagger", lm_config: fakeBlock(kind, llm.fake, { call_limit: 3 }) },
        ],
      },
    },
  });
}

describe.each(["openai", "ollama"] as const)("instructlab/skills over HTTP (%s)", (kind) => {
  it("runs a free-form and a grounded task together: validated pairs, rejects, the shared limit", async () => {
    const dir = tempDir("skills");
    const code = await digitRun([
      "tasks/public/instructlab/skills",
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
    const free = readJsonl(join(dir, FREE, "final_data.jsonl"));
    expect(free).toHaveLength(3);
    for (const r of free) {
      expect(shape(r)).toEqual({
        task_name: "string",
        is_seed: "boolean",
        task_description: "string",
        instruction: "string",
        response: "string",
        tags: "object",
        id: "string",
      });
      // Magpie's tagger rated the pair (the fake server's replies are not JSON: tags null, error noted).
      expect((r.tags as { metadata?: { label_model?: unknown } }).metadata?.label_model).toEqual([
        expect.any(String),
      ]);
      expect(String(r.instruction)).not.toMatch(/REJECTME|never read/);
      expect(String(r.response)).toMatch(/^A good answer number \d+/);
    }
    const grounded = readJsonl(join(dir, GROUNDED, "final_data.jsonl"));
    expect(grounded).toHaveLength(3);
    for (const r of grounded) {
      expect(shape(r)).toEqual({
        task_name: "string",
        is_seed: "boolean",
        task_description: "string",
        instruction: "string",
        response: "string",
        context: "string",
        tags: "object",
        id: "string",
      });
      expect(String(r.context)).toMatch(/^Their was \d+ dogs in the park/);
    }
    const rejects = readJsonl(join(dir, FREE, "blocks", "validator.jsonl"));
    expect(rejects.length).toBeGreaterThanOrEqual(1);
    expect(rejects.every((r) => /REJECTME/.test(String(r.instruction)))).toBe(true);
    // Completion requests with the template's stop list; both tasks share one limit of 3.
    for (const r of llm.seen) {
      expect(r.kind).toBe("completion");
    }
    const gen = llm.seen.find((r) => /Write \d+ new tasks/.test(r.prompt))!;
    expect(
      kind === "openai" ? gen.body.stop : (gen.body.options as { stop?: unknown }).stop,
    ).toEqual(["</s>", "[/EXAMPLE]"]);
    expect(llm.fake.stats().peakInFlight).toBeLessThanOrEqual(3);
  });
});

describe("instructlab/skills offline", () => {
  it("runs with the mock override", async () => {
    const dir = tempDir("skills-mock");
    const code = await digitRun([
      "tasks/public/instructlab/skills/writing/freeform/debate/task.yaml",
      "--include-namespaces",
      "public",
      "--config-path",
      "configs/mock/public/instructlab/skills.yaml",
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "2",
    ]);
    expect(code).toBe(0);
    expect(readJsonl(join(dir, FREE, "final_data.jsonl"))).toHaveLength(2);
  });
});
