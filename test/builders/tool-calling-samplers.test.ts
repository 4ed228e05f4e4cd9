import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { DataflowGraph } from "../../src/tools/enrichments/dataflow.js";
import type { Row } from "../../src/util/mapping.js";
import { withEnv } from "../support/with-env.js";
import { digitRunOutput, readJsonl, tempDir, writeOverride } from "./support.js";

// The travel task of tool-calling.test.ts with the graph samplers of DiGiT's docs in its
// sampler_mix and the dataflow enrichment they need.
const TASK = "test/tool_calling/travel";
const base = parse(readFileSync("test/fixtures/builders/tool_calling/task.yaml", "utf8")) as Row;
const mock = { type: "mock", model_id_or_path: "mock", responses: ["{{example_answer}}"] };

function taskWith(dir: string, samplers: Row[], enrichments?: Row[]): string {
  const spec = structuredClone(base);
  const tools = spec.tools as Row;
  tools.enrichments = enrichments ?? [{ type: "dataflow", provider: { type: "mock" } }];
  const stages = spec.initialization_stages as Row[];
  stages[1]!.sampler_mix = samplers.map((sampler) => ({ sampler, weight: 1 }));
  const file = join(dir, "task.yaml");
  writeFileSync(file, stringify(spec));
  return file;
}

async function run(dir: string, task: string, n = "4") {
  const override = writeOverride(dir, "o.yaml", {
    databuilders: {
      "tool_calling/multi_turn/stateless": { blocks: [{ name: "generator", ...mock }] },
    },
  });
  return withEnv({ DGT_CACHE_DIR: join(dir, "cache") }, () =>
    digitRunOutput([
      task,
      "--config-path",
      override,
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      n,
      "--include-namespaces",
      "public",
      "--seed",
      "3",
    ]),
  );
}

const toolsOf = (r: Row) =>
  ((r.steps as Row[]).find((s) => s.role === "tc/sampler")!.tools as Row[]).map((t) =>
    String(t.name),
  );

describe("graph samplers in the tool-calling builder's sampler_mix", () => {
  it("tc/chain and tc/fan_out, named as in DiGiT, give each conversation tools linked in the dataflow graph", async () => {
    const dir = tempDir("tc-graph");
    const task = taskWith(dir, [
      { type: "tc/chain", k: 3, min_score: 0 },
      { type: "tc/fan_out", k: 3 },
    ]);
    const out = await run(dir, task);
    expect(out.stderr).toBe("");
    expect(out.result).toBe(0);
    const graphDir = join(dir, "cache", "enrichments", "dataflow");
    const graph = JSON.parse(
      readFileSync(join(graphDir, readdirSync(graphDir)[0]!), "utf8"),
    ) as DataflowGraph;
    const feeds = (a: string, b: string) =>
      Object.values(graph.out[`travel::${a}`] ?? {}).some((byNs) =>
        (byNs.travel ?? []).some((e) => e[0] === b),
      );
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(4);
    for (const r of final) {
      const [a, b, c] = toolsOf(r);
      expect(toolsOf(r)).toHaveLength(3);
      // A chain a → b → c, or a fan-out a → {b, c}.
      expect(feeds(a!, b!) && (feeds(b!, c!) || feeds(a!, c!))).toBe(true);
    }
  });

  it("a chain the tools cannot form fails before any conversation, naming the task file and the longest chain", async () => {
    const dir = tempDir("tc-graph-bad");
    const task = taskWith(dir, [{ type: "tc/chain", k: 6, min_score: 0.6 }]);
    const out = await run(dir, task);
    expect(out.result).not.toBe(0);
    expect(out.stderr).toMatch(
      /sampler_mix\[0\]\.sampler: tc\/chain: no chain of 6 tools .* min_score 0.6/,
    );
    expect(out.stderr).toMatch(/the longest found has \d: travel::/);
    expect(out.stderr).toContain(task);
    expect(out.stderr).toContain("DIGIT_TOOL_SAMPLING");
    expect(out.stderr).not.toMatch(/\n\s+at /);
    expect(readJsonl(join(dir, TASK, "final_data.jsonl"))).toEqual([]);
  });

  it("an unknown sampler names the closest; a graph sampler without dataflow names the enrichment", async () => {
    const dir = tempDir("tc-graph-names");
    const typo = await run(dir, taskWith(dir, [{ type: "tc/fanout", k: 3 }]));
    expect(typo.result).not.toBe(0);
    expect(typo.stderr).toMatch(
      /tool sampler 'tc\/fanout' is not known \(did you mean 'tc\/fan_out'/,
    );
    const bare = await run(
      dir,
      taskWith(
        dir,
        [{ type: "tc/fan_in", k: 2 }],
        [{ type: "embeddings", provider: { type: "mock" } }],
      ),
    );
    expect(bare.result).not.toBe(0);
    expect(bare.stderr).toMatch(/needs the dataflow enrichment/);
    expect(bare.stderr).toMatch(/add \{ type: dataflow \}/);
  });
});
