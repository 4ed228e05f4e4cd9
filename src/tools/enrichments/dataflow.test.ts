import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createBlock } from "../../blocks/create.js";
import { startFakeLLM } from "../../fake-llm/index.js";
import { Registry } from "../../registry/registry.js";
import type { Row } from "../../util/mapping.js";
import { buildTaskTools } from "../build.js";
import { toolsSectionSchema } from "../config.js";
import type { DataflowGraph } from "./dataflow.js";
import { paramText, typeMultiplier } from "./param-compat.js";

const fake = await startFakeLLM({});
const blocks = await Registry.open();
afterAll(() => fake.close());

const obj = (props: Row) => ({ type: "object", properties: props });
const str = (description: string) => ({ type: "string", description });
/** A shop whose tools feed each other by customer and email; `count_items` takes a list only. */
const SHOP_TOOLS = [
  {
    name: "find_order",
    description: "Look an order up",
    parameters: obj({ order_number: str("order number") }),
    output_parameters: obj({ customer_id: str("customer id"), items: { type: "array" } }),
  },
  {
    name: "get_customer",
    description: "A customer's details",
    parameters: obj({ customer_id: str("customer id") }),
    output_parameters: obj({ email: str("email address of the customer") }),
  },
  {
    name: "send_email",
    description: "Send an email",
    parameters: obj({ email: str("email address"), body: str("text") }),
    output_parameters: obj({ sent: { type: "boolean" } }),
  },
  {
    name: "count_items",
    description: "Count items",
    parameters: obj({ items: { type: "array", description: "items" } }),
    output_parameters: obj({ count: { type: "integer", description: "how many" } }),
  },
];

const section = (tools: Row[], provider: Row, extra: Row = {}) =>
  toolsSectionSchema.parse({
    registry: [{ type: "inline", namespace: "shop", tools }],
    enrichments: [{ type: "dataflow", provider, ...extra }],
  });
const build = (tools: Row[], provider: Row, extra: Row = {}) =>
  buildTaskTools(section(tools, provider, extra), {
    lm: async () => {
      throw new Error("no LM here");
    },
    logger: undefined,
    where: "t.yaml",
    taskName: "t",
  });
const successors = (g: DataflowGraph, q: string) =>
  Object.values(g.out[q] ?? {}).flatMap((byNs) => Object.values(byNs).flat());
const names = (g: DataflowGraph, q: string) => successors(g, q).map((e) => e[0]);

beforeEach(() => {
  process.env.DGT_CACHE_DIR = mkdtempSync(join(tmpdir(), "digit-dataflow-"));
  fake.reset();
});

describe("type compatibility (DiGiT's rules)", () => {
  it("lists feed lists only; objects by shared properties; integer and number partly", () => {
    expect(typeMultiplier({ type: "array" }, { type: "string" })).toBe(0);
    expect(typeMultiplier({ type: "string" }, { type: "array" })).toBe(0);
    expect(typeMultiplier({ type: "array" }, { type: "array" })).toBe(1);
    expect(typeMultiplier({ type: "string" }, { type: "string" })).toBe(1);
    expect(typeMultiplier({ type: "integer" }, { type: "number" })).toBe(0.8);
    expect(typeMultiplier({ type: "string" }, { type: "number" })).toBe(0);
    expect(typeMultiplier({ type: ["string", "null"] }, { type: "string" })).toBe(1);
    const o = (...keys: string[]) => ({
      type: "object",
      properties: Object.fromEntries(keys.map((k) => [k, {}])),
    });
    expect(typeMultiplier(o("a", "b"), o("b"))).toBe(0.9);
    expect(typeMultiplier(o("a"), o("b"))).toBe(0);
    expect(typeMultiplier(o("a"), { type: "object" })).toBe(0.7);
    expect(paramText("city", str("City"))).toBe("Name: city\nType: string\nDescription: City");
  });
});

describe("dataflow enrichment", () => {
  it("links outputs to inputs they can feed, both directions, over the fake server's embeddings; cached", async () => {
    const provider = {
      type: "openai",
      base_url: fake.openaiBaseURL,
      api_key: "k",
      model_id_or_path: "fake-embed",
    };
    const t = await build(SHOP_TOOLS, provider);
    const g = t.registry.artifacts.dataflow as DataflowGraph;
    expect(fake.stats().byPath["/v1/embeddings"]).toBeGreaterThan(0);
    // find_order's customer_id feeds get_customer; its item list feeds count_items only.
    expect(names(g, "shop::find_order")).toContain("get_customer");
    expect(names(g, "shop::find_order")).toContain("count_items");
    const toCount = successors(g, "shop::find_order").find((e) => e[0] === "count_items")!;
    expect(toCount[3].map(([o, i]) => `${o}->${i}`)).toEqual(["items->items"]);
    // A boolean output feeds nothing (no boolean inputs); the edge score is its best pair's.
    expect(names(g, "shop::send_email")).toEqual([]);
    for (const q of Object.keys(g.out)) {
      for (const [, , score, pairs] of successors(g, q)) {
        expect(score).toBe(pairs[0]![2]);
        expect(pairs.every((p) => p[2] > 0 && p[2] <= score)).toBe(true);
      }
    }
    // The reverse index holds the same edges, parameter names swapped.
    const into = Object.values(g.in["shop::count_items"]!)[0]!.shop!;
    expect(into.map((e) => e[0])).toEqual(["find_order"]);
    expect(into[0]![3]).toEqual([["items", "items", toCount[2]]]);
    // Same tools: the graph comes from $DGT_CACHE_DIR/enrichments/dataflow, no request sent.
    fake.reset();
    const again = await build(SHOP_TOOLS, provider);
    expect(fake.stats().byPath["/v1/embeddings"]).toBeUndefined();
    expect(again.registry.artifacts.dataflow).toEqual(g);
    const dir = join(process.env.DGT_CACHE_DIR!, "enrichments");
    expect(readdirSync(join(dir, "dataflow"))).toHaveLength(1);
    // One more tool: a new graph, but only its new parameter texts are embedded.
    const before = Object.keys(
      JSON.parse(
        readFileSync(
          join(dir, "dataflow_params", readdirSync(join(dir, "dataflow_params"))[0]!),
          "utf8",
        ),
      ) as Row,
    ).length;
    fake.reset();
    const more = [
      ...SHOP_TOOLS,
      {
        name: "archive",
        description: "Archive",
        parameters: obj({ note: str("a note to keep") }),
      },
    ];
    const third = await build(more, provider);
    expect(fake.stats().byPath["/v1/embeddings"]).toBe(1);
    const after = Object.keys(
      JSON.parse(
        readFileSync(
          join(dir, "dataflow_params", readdirSync(join(dir, "dataflow_params"))[0]!),
          "utf8",
        ),
      ) as Row,
    ).length;
    expect(after).toBe(before + 1);
    expect(readdirSync(join(dir, "dataflow"))).toHaveLength(2);
    expect(names(third.registry.artifacts.dataflow as DataflowGraph, "shop::get_customer")).toEqual(
      expect.arrayContaining(["archive", "send_email"]),
    );
  });

  it("keeps max_neighbors edges per tool, best first, the same for the same tools", async () => {
    const a = await build(SHOP_TOOLS, { type: "mock" }, { max_neighbors: 1 });
    const g = a.registry.artifacts.dataflow as DataflowGraph;
    for (const q of Object.keys(g.out)) expect(successors(g, q).length).toBeLessThanOrEqual(1);
    process.env.DGT_CACHE_DIR = mkdtempSync(join(tmpdir(), "digit-dataflow-"));
    const b = await build([...SHOP_TOOLS].reverse(), { type: "mock" }, { max_neighbors: 1 });
    expect(b.registry.artifacts.dataflow).toEqual(g);
  });

  it("runs after output_parameters, listed before or after it, so inferred outputs have edges", async () => {
    const bare = [
      { name: "lookup", description: "Find a customer", parameters: obj({ q: str("query") }) },
      {
        name: "bill",
        description: "Bill a customer",
        parameters: obj({ customer_id: str("customer id") }),
      },
    ];
    const inferred = '{"type": "object", "properties": {"customer_id": {"type": "string"}}}';
    const t = await buildTaskTools(
      toolsSectionSchema.parse({
        registry: [{ type: "inline", namespace: "shop", tools: bare }],
        enrichments: [
          { type: "dataflow", provider: { type: "mock" } },
          {
            type: "output_parameters",
            lm_config: { type: "mock", model_id_or_path: "mock", responses: [inferred] },
          },
        ],
      }),
      {
        lm: (c, name) => createBlock(blocks, { ...c, name }),
        logger: undefined,
        where: "t.yaml",
        taskName: "t",
      },
    );
    const g = t.registry.artifacts.dataflow as DataflowGraph;
    expect(names(g, "shop::lookup")).toEqual(["bill"]);
  });

  it("asks for a provider, as the embeddings enrichment does", async () => {
    await expect(build(SHOP_TOOLS, undefined as unknown as Row)).rejects.toThrow(
      /needs a 'provider'/,
    );
  });
});
