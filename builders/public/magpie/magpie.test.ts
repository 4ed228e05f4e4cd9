import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlock } from "../../../src/blocks/create.js";
import { runCommand } from "../../../src/cli/commands/run.js";
import { Registry } from "../../../src/registry/registry.js";
import type { LlmCallReport } from "../../../src/telemetry/observer.js";
import type { Row } from "../../../src/util/mapping.js";
import { type FakeLLM, startFakeLLM } from "../../../test/support/fake-llm/index.js";
import { nearestNeighbours } from "./distance/nearest.js";
import { cleanLabel, firstObject, parseReply } from "./tag/parse.js";

const ROOT = resolve(import.meta.dirname, "../../..");
let server: FakeLLM;
beforeAll(async () => {
  server = await startFakeLLM();
});
afterAll(() => server.close());

let registry: Promise<Registry> | undefined;
/** A block of the public namespace, with its rejects collected. */
async function makeBlock(type: string, config: Row) {
  registry ??= Registry.open({ namespaces: ["public"] });
  const rejects: Row[] = [];
  const calls: LlmCallReport[] = [];
  const block = await createBlock(
    await registry,
    { name: "check", type, ...config },
    {
      rejects: async (_b, rows) => void rejects.push(...rows),
      observer: { llmCall: (r) => void calls.push(r) },
    },
  );
  return { block, rejects, calls };
}

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v) || 1;
  return Float32Array.from(v, (x) => x / n);
}

describe("nearest neighbours", () => {
  const vectors = Array.from({ length: 300 }, (_, i) =>
    unit(
      Array.from(
        { length: 16 },
        (_, d) => Math.sin(i * 1.7 + d * 0.9) + Math.cos(i * i * 0.013 + d),
      ),
    ),
  );
  vectors.push(unit([...vectors[5]!].map((x, d) => x + (d === 0 ? 1e-4 : 0)))); // a near-copy of row 5

  it("exact search finds each row's nearest row and the near-copy above the threshold", () => {
    const r = nearestNeighbours(vectors, { threshold: 0.9999, method: "exact" });
    expect(r.method).toBe("exact");
    expect(r.nearest[300]).toBe(5);
    expect(r.nearest[5]).toBe(300);
    expect(r.duplicates[5]!.map((d) => d.index)).toEqual([300]);
    expect(r.duplicates[0]).toEqual([]);
  });

  it("the HNSW index agrees with exact search on nearly every row", () => {
    const exact = nearestNeighbours(vectors, { threshold: 0.9999, method: "exact" });
    const approx = nearestNeighbours(vectors, { threshold: 0.9999, method: "hnsw" });
    expect(approx.method).toBe("hnsw");
    let same = 0;
    for (let i = 0; i < vectors.length; i++) if (approx.nearest[i] === exact.nearest[i]) same++;
    expect(same / vectors.length).toBeGreaterThan(0.95);
    expect(approx.duplicates[300]!.map((d) => d.index)).toEqual([5]);
  });

  it("auto is exact up to the limit and HNSW above it", () => {
    expect(nearestNeighbours(vectors.slice(0, 10), { threshold: 1, exactLimit: 10 }).method).toBe(
      "exact",
    );
    expect(nearestNeighbours(vectors.slice(0, 11), { threshold: 1, exactLimit: 10 }).method).toBe(
      "hnsw",
    );
  });
});

describe("magpie_distance", () => {
  const rows = [
    { q: "Which planet is closest to the Sun?", id: "b" },
    { q: "which planet is CLOSEST to the sun", id: "a" },
    { q: "Who painted the Mona Lisa?", id: "c" },
  ];

  for (const type of ["openai", "ollama"] as const) {
    it(`embeds through the ${type} endpoint and tags clusters with their smallest id`, async () => {
      const base_url = type === "openai" ? server.openaiBaseURL : server.url;
      const { block, calls } = await makeBlock("magpie_distance", {
        embeddings: { type, base_url, model_id_or_path: "embed" },
        input_map: { q: "magpie_input", id: "id" },
      });
      const out = await block.call(rows.map((r) => ({ ...r, task_name: "m" })));
      // The embeddings request counts in the run's metrics, with the tokens the endpoint reported.
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ block: "check", provider: type, model: "embed", ok: true });
      expect(calls[0]!.task_names).toEqual(["m"]);
      expect(calls[0]!.prompt_tokens).toBeGreaterThan(0);
      const tags = out.map((r) => r.magpie_tags as Record<string, unknown>);
      expect(tags.map((t) => t.min_similar_uuid)).toEqual(["a", "a", null]);
      expect(tags.map((t) => t.repeat_count)).toEqual([1, 1, 0]);
      expect(tags[0]!.min_neighbor_distance).toBeCloseTo(0, 5);
      expect(tags[2]!.min_neighbor_distance).toBeNull();
    });
  }

  it("takes the user turns of a conversation and gives rows without id the MD5 of their text", async () => {
    const { block } = await makeBlock("magpie_distance", {
      embeddings: { type: "mock" },
      input_map: { messages: "magpie_mt_input" },
    });
    const out = await block.call([
      {
        messages: [
          { role: "user", content: "Hi there" },
          { role: "assistant", content: "Hello" },
        ],
      },
    ]);
    expect(String(out[0]!.id)).toMatch(/^[0-9a-f]{32}$/);
    await expect(block.call([{ other: 1 }])).rejects.toThrow(
      /neither magpie_input nor magpie_mt_input/,
    );
  });
});

describe("magpie_filter", () => {
  const tags = (q: string, s: string, extra: Record<string, unknown> = {}) => ({
    input_quality: [{ m: q }],
    judge_quality_score: [{ m: s }],
    difficulty: [{ m: "easy" }],
    ...extra,
  });

  it("keeps well-rated rows and the first of each duplicate cluster, and records the rest", async () => {
    const { block, rejects } = await makeBlock("magpie_filter", {
      filter: true,
      filter_type: "all",
      filter_criteria: { input_quality: ["good", "excellent"], sample_quality: [4, 5] },
      input_map: { question: "magpie_input", tags: "field" },
    });
    const out = await block.call([
      { id: "a", question: "Q1", tags: tags("good", "4", { min_similar_uuid: "a" }) },
      { id: "b", question: "Q1 again", tags: tags("good", "5", { min_similar_uuid: "a" }) },
      { id: "c", question: "Q2", tags: tags("poor", "5") },
      { id: "d", question: "Q3", tags: tags("excellent", "3") },
      { id: "e", question: "Q4", tags: { input_quality: null } },
      { id: "f", question: "", tags: tags("good", "5") },
    ]);
    expect(out.map((r) => r.id)).toEqual(["a"]);
    expect(rejects.map((r) => r.reason)).toEqual([
      "Duplicate instance",
      "Failed to meet input quality requirements",
      "Failed to meet judge quality requirements",
      'Invalid value: null for "input_quality" score',
      'Either "magpie_input" or "magpie_mt_input" field must be specified.',
    ]);
  });

  it("checks conversations and honours filter_type", async () => {
    const { block } = await makeBlock("magpie_filter", {
      filter_type: "invalid_scores",
      input_map: { messages: "magpie_mt_input", tags: "field" },
    });
    const out = await block.call([
      {
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: "b" },
        ],
        tags: tags("poor", "1"),
      },
      { messages: [{ role: "assistant", content: "b" }], tags: {} },
      { messages: [{ role: "narrator", content: "b" }], tags: {} },
    ]);
    expect(out.map((r) => r.is_valid)).toEqual([true, false, false]);
    expect(out.map((r) => (r.metadata as { reason?: string } | undefined)?.reason)).toEqual([
      undefined,
      "No user utterance[s]",
      expect.stringMatching(/unsupported role 'narrator'/),
    ]);
  });
});

describe("magpie_tag", () => {
  it("asks the model once per row and task and stores each rating under the model's name", async () => {
    const { block } = await makeBlock("magpie_tag", {
      input_map: { question: "magpie_input", answer: "magpie_output" },
      tag_task: "all",
      lm_config: {
        type: "mock",
        model_id_or_path: "judge-m",
        responses: [
          {
            match: '"input_quality"',
            response: 'Sure! ```json\n{"explanation": "clear", "input_quality": "Excellent"}\n```',
          },
          { match: '"score"', response: '{"explanation": "right", "score": 4}' },
          { match: '"intent"', response: "I cannot rate this." },
        ],
      },
    });
    const out = await block.call([{ question: "What is 2+2?", answer: "4" }]);
    const t = out[0]!.magpie_tags as Record<string, unknown>;
    expect(t.input_quality).toEqual([{ "judge-m": "excellent" }]);
    expect(t.input_quality_explanation).toEqual([{ "judge-m": "clear" }]);
    expect(t.judge_quality_score).toEqual([{ "judge-m": "4" }]);
    expect(t.difficulty).toBeNull();
    expect(t.metadata).toMatchObject({
      label_model: ["judge-m"],
      difficulty_err: expect.stringMatching(/no 'difficulty'/),
      difficulty_raw: "I cannot rate this.",
    });
    expect(out[0]!.question).toBe("What is 2+2?");
  });

  it("reads replies leniently", () => {
    expect(firstObject('x {"a": "}{", "b": {"c": 1}} y')).toBe('{"a": "}{", "b": {"c": 1}}');
    expect(parseReply('"score": "5" because', "score")).toMatchObject({ score: "5" });
    expect(cleanLabel("Rating: good.", ["good", "poor"])).toBe("good");
    expect(cleanLabel(["3"], ["3"])).toBe("3");
    expect(cleanLabel(5, ["5"])).toBe("5");
  });

  it("rejects unknown tasks", async () => {
    await expect(
      makeBlock("magpie_tag", { lm_config: { type: "mock" }, tasks: ["quality", "vibes"] }),
    ).rejects.toThrow(/vibes|tasks/);
  });
});

describe("magpie builder", () => {
  it("runs the example task offline: tags every row, drops duplicates and low ratings, keeps the input fields", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "digit-magpie-")), "out");
    const code = await runCommand([join(ROOT, "tasks/public/magpie/task.yaml")], {
      outputDir: out,
      quiet: true,
      includeNamespaces: ["public"],
      configPath: join(ROOT, "configs/mock/public/magpie/magpie.yaml"),
    });
    expect(code).toBe(0);
    const read = (f: string) =>
      readFileSync(join(out, "magpie", f), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const input = readFileSync(join(ROOT, "data/public/magpie/data.jsonl"), "utf8")
      .trim()
      .split("\n");
    const kept = read("final_data.jsonl");
    const rejected = existsSync(join(out, "magpie/blocks/filter.jsonl"))
      ? read("blocks/filter.jsonl")
      : [];
    expect(kept.length + rejected.length).toBe(input.length); // nothing lost
    expect(kept.length).toBeGreaterThan(0);
    for (const r of kept) {
      expect(r).toMatchObject({
        task_name: "magpie",
        question: expect.any(String),
        answer: expect.any(String),
      });
      expect(r.magpie_tags).toMatchObject({
        input_quality: [{ "mock-tagger": "good" }],
        judge_quality_score: [{ "mock-tagger": "5" }],
      });
      expect(r).not.toHaveProperty("magpie_input");
    }
    expect(rejected.map((r) => r.reason)).toContain("Failed to meet input quality requirements");
    // The two rewordings of each duplicate pair share one canonical id; at most one is kept.
    for (const topic of ["chemical symbol", "pride and prejudice"]) {
      const pair = [...kept, ...rejected].filter((r) =>
        String(r.question).toLowerCase().includes(topic),
      );
      expect(pair).toHaveLength(2);
      const tagsOf = (r: Record<string, unknown>) => r.magpie_tags as Record<string, unknown>;
      expect(pair.map((r) => tagsOf(r).repeat_count)).toEqual([1, 1]);
      expect(tagsOf(pair[0]!).min_similar_uuid).toBe(tagsOf(pair[1]!).min_similar_uuid);
      expect(kept.filter((r) => pair.includes(r)).length).toBeLessThanOrEqual(1);
    }
  });
});
