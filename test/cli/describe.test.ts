import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { type BlockClass, baseBlockConfigSchema } from "../../src/blocks/block.js";
import type { DataBuilderClass } from "../../src/builders/databuilder.js";
import { describeShape } from "../../src/cli/describe-keys.js";
import {
  baseBuilderShape,
  baseTaskShape,
  generationRunnerConfigSchema,
  transformationRunnerConfigSchema,
} from "../../src/config/schemas.js";
import { Registry } from "../../src/registry/registry.js";
import { digit } from "./helpers.js";

/** The row of `key` in a describe table, with the description lines below it when it is folded. */
function keyRow(text: string, key: string): string {
  const m = text.match(new RegExp(`\\n${key.replace(/[/.]/g, "\\$&")}\\s[^\\n]*(\\n {4}[^\\n]*)*`));
  return m ? m[0] : "";
}

describe("digit describe", () => {
  it("describes a builder: its blocks from the builder YAML, its builder keys, the task keys it accepts and runner_config", async () => {
    const r = await digit(["describe", "public/examples/geography_qa"], {
      env: { COLUMNS: "160" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^builder 'public\/examples\/geography_qa' \(namespace public, builders\/public\/examples\/geography_qa\/builder\.yaml\)/,
    );
    expect(r.stdout).toMatch(/\ngenerator\s+ollama\s+\S/);
    expect(r.stdout).toMatch(/\ndedup\s+rouge_scorer\s+Removes near-duplicates/);
    expect(r.stdout).toContain("the builder needs blocks named: generator");
    expect(keyRow(r.stdout, "max_stalled_attempts")).toMatch(
      /integer\s+Batches in a row that make nothing new/,
    );
    expect(keyRow(r.stdout, "task_name")).toMatch(/string\s+yes\s+Unique name of the task/);
    expect(r.stdout).toMatch(/runner_config keys \(generation tasks\):/);
    expect(keyRow(r.stdout, "num_outputs_to_generate")).toMatch(
      /integer\s+2\s+Records to generate/,
    );
    const json = JSON.parse(
      (await digit(["describe", "public/examples/geography_qa", "--json"])).stdout,
    ) as { family: string; task_yaml: { properties: Record<string, unknown> } };
    expect(json.family).toBe("generation");
    expect(json.task_yaml.properties).toHaveProperty("seed_examples");
  });

  it("shows rouge_scorer's defaults (threshold 1.1, score_func f1) and a description for every key", async () => {
    const r = await digit(["describe", "rouge_scorer"], { env: { COLUMNS: "200" } });
    expect(r.code, r.stderr).toBe(0);
    expect(keyRow(r.stdout, "threshold")).toMatch(
      /threshold\s+number\s+1\.1\s+A row fails when its ROUGE score/,
    );
    expect(keyRow(r.stdout, "score_func")).toMatch(/"f1"\s+Which ROUGE score/);
    expect(keyRow(r.stdout, "input_map")).toMatch(/map<string>\s+\{your_field: block_field\}/);
    const narrow = await digit(["describe", "rouge_scorer"], { env: { COLUMNS: "80" } });
    expect(
      Math.max(
        ...narrow.stdout
          .trimEnd()
          .split("\n")
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(80);
    expect(narrow.stdout).toMatch(/\nthreshold\s+number\s+1\.1\n {4}A row fails when/);
  });

  it("describes datastores, dataloaders and formatters; a name two kinds share is shown for each, --kind picks one", async () => {
    const both = await digit(["describe", "default"], { env: { COLUMNS: "200" } });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stdout).toMatch(
      /^datastore 'default' \(namespace core, src\/stores\/default\/index\.ts\)/,
    );
    expect(keyRow(both.stdout, "output_data_format")).toMatch(
      /"jsonl" \| "parquet" \| "csv" \| "json"\s+"jsonl"\s+Format the store writes/,
    );
    expect(both.stdout).toMatch(/\n\ndataloader 'default'/);
    expect(keyRow(both.stdout, "loop_over")).toMatch(
      /boolean\s+false\s+Start again from the first row/,
    );
    const one = await digit(["describe", "formatters/native", "--kind", "formatter"], {
      env: { COLUMNS: "200" },
    });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^formatter 'formatters\/native'/);
    expect(keyRow(one.stdout, "format")).toMatch(
      /string \| map<string>\s+yes\s+A string with \{\{field\}\} placeholders/,
    );
    expect(one.stdout).not.toContain("datastore");
    const ambiguous = await digit(["describe", "default", "--json"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(
      /'default' is a datastore and a dataloader: say which with --kind/,
    );
  });

  it("an unknown name suggests the closest name of any kind", async () => {
    const r = await digit(["describe", "public/examples/geography_q"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no block, builder, datastore, dataloader or formatter named 'public\/examples\/geography_q'[\s\S]*did you mean 'public\/examples\/geography_qa'/,
    );
  });

  it("every key of every built-in block, builder, store, loader and formatter has a description", async () => {
    const registry = await Registry.open({ namespaces: ["public"] });
    const SHIPPED = ["core", "public"];
    const missing: string[] = [];
    const check = (what: string, shape: z.ZodRawShape) => {
      for (const k of describeShape(shape)) if (!k.description) missing.push(`${what}: ${k.key}`);
    };
    check("block", baseBlockConfigSchema.shape);
    check("task", baseTaskShape);
    check("builder", baseBuilderShape);
    check("runner_config", {
      ...generationRunnerConfigSchema.shape,
      ...transformationRunnerConfigSchema.shape,
    });
    for (const e of registry.entries("block").filter((x) => SHIPPED.includes(x.namespace)))
      check(
        `block ${e.name}`,
        ((await registry.resolve("block", e.name)) as BlockClass).configSchema.shape,
      );
    for (const kind of ["datastore", "dataloader", "formatter"] as const) {
      for (const e of registry.entries(kind).filter((x) => SHIPPED.includes(x.namespace)))
        check(
          `${kind} ${e.name}`,
          ((await registry.resolve(kind, e.name)) as unknown as { configSchema: z.ZodObject })
            .configSchema.shape,
        );
    }
    for (const b of registry.builderYamls().filter((x) => SHIPPED.includes(x.namespace))) {
      const cls = (await registry.resolve("databuilder", b.name)) as DataBuilderClass;
      check(`builder ${b.name}`, cls.configSchema.shape);
      check(`builder ${b.name} task`, cls.taskSchema.shape);
    }
    expect(missing).toEqual([]);
  });
});
