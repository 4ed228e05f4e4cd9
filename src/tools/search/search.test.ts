import { afterAll, describe, expect, it } from "vitest";
import { NetworkRequiredError } from "../../errors.js";
import { startFakeLLM } from "../../fake-llm/index.js";
import { Random } from "../../util/random.js";
import { buildTaskTools } from "../build.js";
import { toolsSectionSchema } from "../config.js";
import type { SearchEngine } from "./engine.js";
import { RandomDocumentSampler } from "./random-sampler.js";

const CORPUS = "test/fixtures/tools/corpus.jsonl";
const ctx = {
  lm: async () => {
    throw new Error("no LM");
  },
  logger: undefined,
  where: "t.yaml",
  taskName: "t",
};
const searchTool = {
  name: "search_docs",
  description: "Search the notes",
  parameters: {
    type: "object",
    properties: { query: { type: "string" }, size: { type: "integer" } },
    required: ["query"],
  },
};
const fake = await startFakeLLM({});
afterAll(() => fake.close());

async function engine(cfg: Record<string, unknown>) {
  const tools = await buildTaskTools(
    toolsSectionSchema.parse({
      registry: [{ type: "inline", namespace: "docs", tools: [searchTool], engine: "search" }],
      engines: { search: { path: CORPUS, projection: { doc_id: "id", body: "text" }, ...cfg } },
    }),
    ctx,
  );
  return { tools, search: tools.engines.get("search") as SearchEngine };
}

describe("search engines", () => {
  it("search/in_memory ranks documents by full text (BM25), with projection and metadata", async () => {
    const { tools, search } = await engine({ type: "search/in_memory" });
    const [r] = await tools.engine.execute("s", [
      {
        name: "search_docs",
        namespace: "docs",
        arguments: { query: "water rain", size: 2 },
        call_id: "$1",
      },
    ]);
    const hits = r!.result as {
      id: string;
      text: string;
      score: number;
      metadata: Record<string, unknown>;
    }[];
    expect(hits).toHaveLength(2);
    expect(hits[0]!.id).toBe("c1");
    expect(hits.every((h) => h.text.includes("water"))).toBe(true);
    expect(hits[0]!.metadata).toEqual({ category: "weather", source: { site: "example.org" } });
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    // Prefix and fuzzy matching: "thunder" finds "Thunderstorms", "glaciars" finds "Glaciers".
    expect((await search.search({ query: "thunder" }, 5, new Random(1))).map((d) => d.id)).toEqual([
      "c3",
    ]);
    expect((await search.search({ query: "glaciars" }, 5, new Random(1))).map((d) => d.id)).toEqual(
      ["c2"],
    );
    expect(await search.search({ query: "" }, 5, new Random(1))).toEqual([]);
    expect(search.corpus()).toHaveLength(6);
  });
  it("search/in_memory with an embeddings provider ranks by vectors from the endpoint", async () => {
    const { search } = await engine({
      type: "search/in_memory",
      provider: { type: "openai", base_url: fake.openaiBaseURL, api_key: "k" },
    });
    const hits = await search.search({ query: "bees pollen flowers" }, 1, new Random(1));
    expect(hits[0]!.id).toBe("c6");
    expect(fake.stats().byPath["/v1/embeddings"]).toBe(2);
  });
  it("search/file draws documents at random (DiGiT's), the same for the same session and call", async () => {
    const a = await engine({ type: "search/file", limit: 3 });
    const b = await engine({ type: "search/file", limit: 3 });
    const call = { name: "search_docs", namespace: "docs", arguments: { query: "anything" } };
    const [ra] = await a.tools.engine.execute("s1", [call]);
    const [rb] = await b.tools.engine.execute("s1", [call]);
    expect((ra!.result as unknown[]).length).toBe(3);
    expect(ra!.result).toEqual(rb!.result);
  });
  it("simulate answers as the next execute will, without counting the call", async () => {
    const probed = await engine({
      type: "search/file",
      limit: 2,
      error_categories: [{ type: "empty_result", probability: 0.5 }],
    });
    const plain = await engine({
      type: "search/file",
      limit: 2,
      error_categories: [{ type: "empty_result", probability: 0.5 }],
    });
    const call = { name: "search_docs", namespace: "docs", arguments: { query: "anything" } };
    const executed: unknown[] = [];
    const expected: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const [p1] = await probed.tools.engine.simulate("s", [call]);
      const [p2] = await probed.tools.engine.simulate("s", [call, call]);
      const [r] = await probed.tools.engine.execute("s", [call]);
      expect(p1).toEqual(r);
      expect(p2).toEqual(r);
      executed.push(r!.result);
      expected.push((await plain.tools.engine.execute("s", [call]))[0]!.result);
    }
    // The probes changed nothing: the same answers as an engine that was never probed.
    expect(executed).toEqual(expected);
    expect(new Set(executed.map((x) => JSON.stringify(x))).size).toBeGreaterThan(1);
  });
  it("relevance_threshold and injected errors", async () => {
    const { tools } = await engine({ type: "search/in_memory", relevance_threshold: 1e9 });
    const [r] = await tools.engine.execute("s", [
      { name: "search_docs", namespace: "docs", arguments: { query: "water" } },
    ]);
    expect(r!.result).toEqual([]);
    const broken = await engine({
      type: "search/in_memory",
      error_categories: [{ type: "network_error", probability: 1 }],
    });
    const [e] = await broken.tools.engine.execute("s", [
      { name: "search_docs", namespace: "docs", arguments: { query: "water" } },
    ]);
    expect(e!.error).toBe("Connection timed out");
  });
  it("web search engines accept DiGiT's config and fail with 'needs network access'", async () => {
    const web = (cfg: Record<string, unknown>) =>
      buildTaskTools(
        toolsSectionSchema.parse({
          registry: [{ type: "inline", namespace: "docs", tools: [searchTool], engine: "web" }],
          engines: { web: cfg },
        }),
        ctx,
      );
    await expect(
      web({ type: "search/web/google_serper", serper_api_key: "x", gl: "us", limit: 3 }),
    ).rejects.toThrow(NetworkRequiredError);
    await expect(web({ type: "search/web/duckduckgo" })).rejects.toThrow(
      /search\/web\/duckduckgo.* needs network access/,
    );
  });
});

describe("search/random document sampler", () => {
  it("draws k documents, by group when asked", async () => {
    const { search } = await engine({ type: "search/file" });
    const plain = new RandomDocumentSampler(search, {});
    expect(plain.sample(new Random(1), 4)).toHaveLength(4);
    const grouped = new RandomDocumentSampler(search, { group_by: "category" });
    for (let s = 0; s < 10; s++) {
      const docs = grouped.sample(new Random(s), 5);
      expect(new Set(docs.map((d) => d.metadata.category)).size).toBe(1);
    }
    expect(
      grouped
        .sample(new Random(2), 5, { include_groups: ["biology"] })
        .map((d) => d.id)
        .sort(),
    ).toEqual(["c4", "c6"]);
    expect(
      grouped.sample(new Random(3), 9, { exclude_groups: ["weather", "geography"] }),
    ).toHaveLength(2);
    expect(() => grouped.sample(new Random(1), 1, { include_groups: ["chemistry"] })).toThrow(
      /unknown group/,
    );
  });
});
