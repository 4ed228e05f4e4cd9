import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv, digit, MAIN, ROOT, TSX, tempDir } from "./helpers.js";

describe("digit list", () => {
  it("lists 500 plugin blocks without importing any of them", async () => {
    const work = tempDir();
    const plugins = join(work, "plugins");
    const markers = join(work, "markers");
    mkdirSync(markers);
    for (let i = 0; i < 500; i++) {
      const dir = join(plugins, `group${i % 10}`);
      mkdirSync(dir, { recursive: true });
      // Importing this file leaves a marker and then throws: either would show.
      writeFileSync(
        join(dir, `block${i}.ts`),
        [
          `import { writeFileSync } from "node:fs";`,
          `import { registerBlock, ValidatorBlock } from "digit-sdg";`,
          `writeFileSync(${JSON.stringify(join(markers, `block${i}`))}, "imported");`,
          `throw new Error("block${i} must not be imported by digit list");`,
          `/** Generated plugin number ${i}. Second sentence is not shown. */`,
          `@registerBlock("gen/block_${i}")`,
          `export class Block${i} extends ValidatorBlock { validate() { return true; } }`,
        ].join("\n"),
      );
    }
    const r = await digit(["list", "blocks", "--json"], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            name: string;
            namespace: string;
            enabled: boolean;
            file: string;
            description: string;
          },
      );
    const generated = rows.filter((x) => x.name.startsWith("gen/block_"));
    expect(generated).toHaveLength(500);
    expect(generated.find((x) => x.name === "gen/block_123")).toEqual({
      name: "gen/block_123",
      namespace: "user",
      enabled: true,
      file: join("plugins", "group3", "block123.ts"),
      description: "Generated plugin number 123.",
    });
    // Built-in blocks are listed too.
    expect(rows.some((x) => x.name === "mock" && x.namespace === "core")).toBe(true);
    expect(existsSync(markers) && readdirSync(markers)).toEqual([]);
  });

  it("shows a table with namespace, enabled flag, file and description; builders include disabled namespaces", async () => {
    const wide = { env: { COLUMNS: "400" } };
    const r = await digit(["list", "builders"], wide);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^name\s+namespace\s+enabled\s+file\s+description/);
    expect(r.stdout).toMatch(
      /public\/examples\/geography_qa\s+public\s+no\s+builders\/public\/examples\/geography_qa\/builder\.yaml\s+Generates geography/,
    );
    expect(r.stdout).toContain("--include-namespaces public");
    const on = await digit(
      ["list", "builders", "--include-namespaces", "public", "--enabled"],
      wide,
    );
    expect(on.stdout).toMatch(/public\/examples\/geography_qa\s+public\s+yes/);
    expect(on.stdout).not.toMatch(/ {2}no {2}/);
  });

  it("fits the table to the width ($COLUMNS, else 100 off a terminal), cutting descriptions with …; --json keeps the full text", async () => {
    const full = await digit(["list", "blocks", "--json"], { env: { COLUMNS: "60" } });
    const rows = full.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { name: string; description: string });
    const longest = rows.reduce((a, b) => (b.description.length > a.description.length ? b : a));
    expect(longest.description.length).toBeGreaterThan(100);
    for (const [columns, limit] of [
      ["", 100],
      ["60", 60],
      ["160", 160],
    ] as const) {
      const r = await digit(["list", "blocks"], { env: { COLUMNS: columns } });
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trimEnd().split("\n");
      expect(Math.max(...lines.map((l) => l.length)), `COLUMNS=${columns}`).toBeLessThanOrEqual(
        limit,
      );
      const line = lines.find((l) => l.startsWith(`${longest.name} `))!;
      expect(line).toMatch(/…$/);
      expect(longest.description.startsWith(line.slice(line.lastIndexOf("  ") + 2, -1))).toBe(true);
    }
    // The file column stays when there is room for it and a readable description.
    expect((await digit(["list", "blocks"], { env: { COLUMNS: "160" } })).stdout).toMatch(
      /^name\s+namespace\s+enabled\s+file\s+description/,
    );
    expect((await digit(["list", "blocks"], { env: { COLUMNS: "" } })).stdout).toMatch(
      /^name\s+namespace\s+enabled\s+description/,
    );
  });

  it("lists every kind, and a wrong kind is a short error with a suggestion", async () => {
    for (const [kind, name] of [
      ["datastores", "default"],
      ["dataloaders", "default"],
      ["formatters", "formatters/native"],
      ["blocks", "rouge_scorer"],
    ] as const) {
      const r = await digit(["list", kind]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(name);
    }
    const bad = await digit(["list", "blokcs"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/'blokcs' is not something digit can list/);
    expect(bad.stderr).toMatch(/did you mean 'blocks'/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("digit list with a reader that closes early", () => {
  it("ends quietly with status 0 when stdout is closed before it writes (digit list --json | head -1)", async () => {
    const child = spawn(TSX, [MAIN, "list", "blocks", "--json"], {
      cwd: ROOT,
      env: cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
