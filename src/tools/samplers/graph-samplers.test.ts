import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, ToolSamplingError } from "../../errors.js";
import { Random } from "../../util/random.js";
import { buildTaskTools } from "../build.js";
import { SAMPLERS } from "../catalog.js";
import { toolsSectionSchema } from "../config.js";
import type { DataflowGraph } from "../enrichments/dataflow.js";
import { lookup } from "../lookup.js";
import type { ToolRegistry } from "../registry.js";
import { qualifiedName, type Tool } from "../types.js";
import { chainSampler } from "./chain.js";
import { fanInSampler, fanOutSampler } from "./fan.js";

let registry: ToolRegistry;
beforeAll(async () => {
  process.env.DGT_CACHE_DIR = mkdtempSync(join(tmpdir(), "digit-graph-samplers-"));
  const t = await buildTaskTools(
    toolsSectionSchema.parse({
      registry: [
        { type: "file", path: "test/fixtures/tools/dataflow-pipe.yaml", namespace: "pipe" },
        { type: "file", path: "test/fixtures/tools/dataflow-iso.yaml", namespace: "iso" },
      ],
      enrichments: [{ type: "dataflow", provider: { type: "mock" } }],
    }),
    {
      lm: async () => {
        throw new Error("no LM here");
      },
      logger: undefined,
      where: "t.yaml",
      taskName: "t",
    },
  );
  registry = t.registry;
});

const names = (tools: Tool[]) => tools.map((t) => t.name);
/** Whether the graph has an edge a → b. */
const edge = (a: Tool, b: Tool) => {
  const g = registry.artifacts.dataflow as DataflowGraph;
  return Object.values(g.out[qualifiedName(a)] ?? {}).some((byNs) =>
    (byNs[b.namespace] ?? []).some((e) => e[0] === b.name),
  );
};
const create = <D extends typeof chainSampler>(def: D, config: Record<string, unknown>) =>
  def.create(def.schema.parse(config), registry);

describe("tc/chain", () => {
  it("returns k tools each feeding the next; backs up at dead ends, so the only chain of 5 is always found", () => {
    const s = create(chainSampler, { k: 5, namespace: "pipe" });
    for (let seed = 0; seed < 8; seed++)
      expect(names(s.sample(new Random(seed)))).toEqual(["a", "b", "c", "d", "e"]);
    const three = create(chainSampler, { k: 3, namespace: "pipe" });
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const c = three.sample(new Random(seed));
      expect(new Set(names(c)).size).toBe(3);
      expect(edge(c[0]!, c[1]!) && edge(c[1]!, c[2]!)).toBe(true);
      seen.add(names(c).join(""));
    }
    expect(seen.size).toBeGreaterThan(1);
    expect(names(three.sample(new Random(7)))).toEqual(names(three.sample(new Random(7))));
  });
  it("fails when built if the tools cannot form a chain of k, naming the longest one", () => {
    expect(() => create(chainSampler, { k: 6, namespace: "pipe" })).toThrow(
      /no chain of 6 tools in namespace 'pipe'.*longest found has 5: pipe::a → pipe::b → pipe::c → pipe::d → pipe::e/,
    );
    try {
      create(chainSampler, { k: 2, namespace: "iso" });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ToolSamplingError);
      const err = e as ToolSamplingError;
      expect(err.code).toBe("DIGIT_TOOL_SAMPLING");
      expect(err.partial).toHaveLength(1);
      expect(err.hint).toMatch(/lower k or min_score/);
    }
    expect(() => create(chainSampler, { k: 7, namespace: "pipe" })).toThrow(
      /no chain of 7 tools in namespace 'pipe': there are only 6/,
    );
    expect(() => create(chainSampler, { k: 2, namespace: "nope" })).toThrow(
      /namespace .nope. has no tools/,
    );
  });
  it("follows only edges scoring at least min_score", () => {
    expect(() => create(chainSampler, { k: 2, min_score: 1.01 })).toThrow(/no chain of 2/);
  });
});

describe("tc/fan_out and tc/fan_in", () => {
  it("fan_out: a hub first, then k-1 distinct tools it feeds; seeded", () => {
    const s = create(fanOutSampler, { k: 3, namespace: "pipe" });
    const hubs = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const [hub, ...rest] = s.sample(new Random(seed));
      expect(rest).toHaveLength(2);
      expect(new Set(names(rest)).size).toBe(2);
      for (const r of rest) expect(edge(hub!, r)).toBe(true);
      hubs.add(hub!.name);
    }
    expect([...hubs].sort()).toEqual(["a", "b", "c"]);
    expect(names(s.sample(new Random(3)))).toEqual(names(s.sample(new Random(3))));
  });
  it("fan_in: k-1 tools that each feed the sink, sink last", () => {
    const s = create(fanInSampler, { k: 3, namespace: "pipe" });
    for (let seed = 0; seed < 5; seed++) {
      const tools = s.sample(new Random(seed));
      expect(tools[2]!.name).toBe("h");
      expect(names(tools.slice(0, 2)).sort()).toEqual(["a", "b"]);
    }
  });
  it("fail when built if no tool has k-1 linked tools, naming the best hub", () => {
    expect(() => create(fanOutSampler, { k: 4, namespace: "pipe" })).toThrow(
      /tc\/fan_out: no tool in namespace 'pipe' has 3 successors .* the most is 2, for pipe::a/,
    );
    expect(() => create(fanInSampler, { k: 3, namespace: "iso" })).toThrow(
      /tc\/fan_in: no tool in namespace 'iso' has 2 predecessors/,
    );
    expect(() => fanInSampler.schema.parse({ k: 1 })).toThrow();
    try {
      create(fanOutSampler, { k: 2, namespace: "pipes" });
      expect.unreachable();
    } catch (e) {
      expect((e as ToolSamplingError).message).toMatch(/namespace 'pipes' has no tools/);
      expect((e as ToolSamplingError).hint).toMatch(/did you mean 'pipe'/);
    }
  });
});

describe("sampler types", () => {
  it("an unknown type names the closest; a graph sampler without the dataflow artifact says which enrichment to add", async () => {
    await expect(lookup(SAMPLERS, "tc/chian", "sampler", "t.yaml")).rejects.toThrow(
      /'tc\/chian' is not known \(did you mean 'tc\/chain'/,
    );
    const artifacts = registry.artifacts;
    registry.artifacts = {};
    try {
      expect(() => create(chainSampler, { k: 2 })).toThrow(ConfigError);
      try {
        create(fanInSampler, { k: 2 });
        expect.unreachable();
      } catch (e) {
        expect((e as ConfigError).hint).toMatch(/add \{ type: dataflow/);
      }
    } finally {
      registry.artifacts = artifacts;
    }
  });
});
