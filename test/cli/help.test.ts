import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { digit, ROOT } from "./helpers.js";

/** Modules loaded eagerly (static, non-type imports) starting from `entry`. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)";/gms)) {
      const spec = m[1]!;
      if (spec.startsWith(".")) {
        const ts = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
        if (existsSync(ts)) visit(ts);
      } else if (!spec.startsWith("node:"))
        packages.add(
          spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!,
        );
    }
  };
  visit(entry);
  return { files, packages };
}

describe("digit --help", () => {
  it("loads no engine, provider, store or heavy package", () => {
    // main.ts only turns the compile cache on and imports run-main.ts.
    const { files, packages } = staticGraph(join(ROOT, "src/cli/run-main.ts"));
    const rel = [...files].map((f) => relative(ROOT, f));
    expect(
      rel.filter((f) => /^src\/(engine|blocks|stores|builders|tasks|config)\//.test(f)),
    ).toEqual([]);
    expect([...packages].sort()).toEqual(["commander"]);
  });

  it("prints every command and its options", async () => {
    const r = await digit(["--help"]);
    expect(r.code).toBe(0);
    for (const c of ["run", "validate", "list", "describe", "schema"])
      expect(r.stdout).toMatch(new RegExp(`\\n\\s+${c}\\b`));
    const run = await digit(["run", "--help"]);
    expect(run.stdout).toContain("--log-format <format>");
    expect(run.stdout).toContain("Examples:");
  });
});

describe("digit describe and digit schema", () => {
  it("describe shows a block's own keys with types and defaults, the common keys, and its fields", async () => {
    const r = await digit(["describe", "mock"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /block type 'mock' \(namespace core, src\/blocks\/lm\/mock\/index\.ts\)/,
    );
    expect(r.stdout).toMatch(/\n\s*latency_ms\s+number\s+0\b/);
    expect(r.stdout).toMatch(
      /\n\s*responses\s+\(string \| object\)\[\]\s+\["This is mock response \{\{n\}\}\."\]/,
    );
    expect(r.stdout).toMatch(/keys every block takes:[\s\S]*\n\s*name\s+string\s+yes/);
    expect(r.stdout).toMatch(/row fields: reads\/writes input \(required\)/);
    const json = await digit(["describe", "mock", "--json"]);
    const schema = JSON.parse(json.stdout) as {
      properties: Record<string, { default?: unknown }>;
      additionalProperties: boolean;
    };
    expect(schema.properties.latency_ms!.default).toBe(0);
    expect(schema.additionalProperties).toBe(false);
  });

  it("describe of an unknown name suggests the closest name", async () => {
    const r = await digit(["describe", "rouge_scorr"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no block, builder, datastore, dataloader or formatter named 'rouge_scorr'[\s\S]*did you mean 'rouge_scorer'/,
    );
  });

  it("the committed schemas/ are current (regenerate with: digit schema --out-dir schemas)", async () => {
    const r = await digit(["schema", "--out-dir", "schemas", "--check"]);
    expect(r.stderr.replace(/npm warn.*\n/g, "")).toBe("");
    expect(r.code).toBe(0);
    const task = JSON.parse(readFileSync(join(ROOT, "schemas/task.schema.json"), "utf8")) as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(task.additionalProperties).toBe(false);
    for (const k of ["task_name", "data_builder", "seed_examples", "runner_config", "include"])
      expect(task.properties).toHaveProperty(k);
    const builder = JSON.parse(readFileSync(join(ROOT, "schemas/builder.schema.json"), "utf8")) as {
      properties: {
        blocks: { items: { allOf: { if: { properties: { type: { const: string } } } }[] } };
      };
    };
    expect(builder.properties.blocks.items.allOf.map((x) => x.if.properties.type.const)).toContain(
      "rouge_scorer",
    );
  });
});
