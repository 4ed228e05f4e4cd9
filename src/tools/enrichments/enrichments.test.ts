import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createBlock } from "../../blocks/create.js";
import { startFakeLLM } from "../../fake-llm/index.js";
import { Registry } from "../../registry/registry.js";
import { Random } from "../../util/random.js";
import { buildTaskTools } from "../build.js";
import { toolsSectionSchema } from "../config.js";
import { neighborSampler } from "../samplers/neighbor.js";
import { randomSampler } from "../samplers/random.js";
import type { NeighborGraph } from "./neighbors.js";

const fake = await startFakeLLM({});
afterAll(() => fake.close());
const registry = await Registry.open();
fake.configure({
  respond: () =>
    '{"type": "object", "properties": {"forecast_id": {"type": "string", "description": "id"}}}',
});

const inline = (ns: string, names: string[]) => ({
  type: "inline",
  namespace: ns,
  tools: names.map((n) => ({
    name: n,
    description: `${n.replace(/_/g, " ")} tool`,
    parameters: {
      type: "object",
      properties: { [`${n}_input`]: { type: "string", description: `input of ${n}` } },
    },
  })),
});
const section = (provider: Record<string, unknown>) =>
  toolsSectionSchema.parse({
    registry: [
      { type: "file", path: "test/fixtures/tools/namespaced.yaml" },
      { type: "file", path: "test/fixtures/tools/list.yaml", namespace: "weather" },
      inline("misc", ["alpha", "beta", "gamma", "delta"]),
    ],
    enrichments: [
      {
        type: "output_parameters",
        lm_config: {
          type: "openai",
          model_id_or_path: "fake-model",
          base_url: fake.openaiBaseURL,
          api_key: "k",
          max_retries: 0,
        },
      },
      { type: "neighbors", provider, max_neighbors: 3 },
      { type: "embeddings", model: "sentence-transformers/all-mpnet-base-v2", provider },
    ],
  });
const build = (provider: Record<string, unknown>) =>
  buildTaskTools(section(provider), {
    lm: (c, name) => createBlock(registry, { ...c, name }),
    logger: undefined,
    where: "t.yaml",
    taskName: "t",
  });

beforeEach(() => {
  process.env.DGT_CACHE_DIR = mkdtempSync(join(tmpdir(), "digit-enrich-"));
  fake.reset();
});

describe("enrichments", () => {
  it("infer missing output schemas, embed every tool over HTTP, build neighbors — in dependency order, cached", async () => {
    const provider = {
      type: "openai",
      base_url: fake.openaiBaseURL,
      api_key: "k",
      model_id_or_path: "fake-embed",
    };
    const t = await build(provider);
    const convert = t.registry.get("weather::convert_units")[0]!;
    expect(convert.output_parameters).toEqual({
      type: "object",
      properties: { forecast_id: { type: "string", description: "id" } },
    });
    // Tools that declare outputs are left alone.
    expect(
      Object.keys(t.registry.get("shop::find_order")[0]!.output_parameters.properties as object),
    ).toEqual(["customer_id", "status"]);
    const graph = t.registry.artifacts.neighbors as NeighborGraph;
    expect(Object.keys(graph).sort()).toEqual(
      t.registry
        .all()
        .map((x) => `${x.namespace}::${x.name}`)
        .sort(),
    );
    const shopEdges = Object.values(graph["shop::find_order"]!)[0]!.shop![0];
    expect(shopEdges.map((e) => e[0])).toEqual(["refund_customer"]);
    const first = fake.stats().byPath;
    expect(first["/v1/embeddings"]).toBeGreaterThan(0);
    expect(first["/v1/chat/completions"]).toBe(5);
    // Same tools, same models: everything comes from $DGT_CACHE_DIR/enrichments.
    fake.reset();
    const again = await build(provider);
    expect(fake.stats().byPath["/v1/embeddings"]).toBeUndefined();
    expect(fake.stats().byPath["/v1/chat/completions"]).toBeUndefined();
    expect(again.registry.artifacts.neighbors).toEqual(graph);
  });
  it("asks for a provider when a DiGiT task names only a sentence-transformers model", async () => {
    await expect(
      buildTaskTools(
        toolsSectionSchema.parse({
          enrichments: [{ type: "embeddings", model: "sentence-transformers/all-mpnet-base-v2" }],
        }),
        {
          lm: async () => {
            throw new Error("x");
          },
          logger: undefined,
          where: "t.yaml",
          taskName: "t",
        },
      ),
    ).rejects.toThrow(/needs a 'provider'/);
  });
});

describe("samplers", () => {
  it("tc/random draws k distinct tools, split across namespaces by size, the same for the same seed", async () => {
    const t = await build({ type: "mock" });
    const s = randomSampler.create(randomSampler.schema.parse({ k: 4 }), t.registry);
    const a = s.sample(new Random(1)).map((x) => x.name);
    expect(a).toHaveLength(4);
    expect(new Set(a).size).toBe(4);
    expect(s.sample(new Random(1)).map((x) => x.name)).toEqual(a);
    const only = randomSampler.create(
      randomSampler.schema.parse({ k: 9, namespace: "shop" }),
      t.registry,
    );
    expect(only.sample(new Random(2)).map((x) => x.namespace)).toEqual(["shop", "shop"]);
    const weighted = randomSampler.create(
      randomSampler.schema.parse({ k: 2, namespace_weights: { misc: 1 } }),
      t.registry,
    );
    expect(weighted.sample(new Random(3)).every((x) => x.namespace === "misc")).toBe(true);
    expect(() =>
      randomSampler
        .create(randomSampler.schema.parse({ k: 2, namespace_weights: { mics: 1 } }), t.registry)
        .sample(new Random(1)),
    ).toThrow(/'mics', which has no tools/);
  });
  it("tc/neighbor stays in the seed's namespace and follows the neighbor graph", async () => {
    const t = await build({ type: "mock" });
    const s = neighborSampler.create(
      neighborSampler.schema.parse({ k: 2, namespace: "shop" }),
      t.registry,
    );
    const names = s
      .sample(new Random(5))
      .map((x) => x.name)
      .sort();
    expect(names).toEqual(["find_order", "refund_customer"]);
    const misc = neighborSampler.create(
      neighborSampler.schema.parse({ k: 3, namespace: "misc" }),
      t.registry,
    );
    for (let i = 0; i < 5; i++)
      expect(misc.sample(new Random(i)).every((x) => x.namespace === "misc")).toBe(true);
  });
});
