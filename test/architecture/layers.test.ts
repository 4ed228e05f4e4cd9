import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../cli/helpers.js";

/**
 * The layers of src/, lowest first (docs/architecture.md, "Layers"). A module may import its own
 * folder and any folder of a LOWER layer; folders of one layer never import each other. The bottom
 * layer, "base", is src/util/ and src/errors.ts, which may import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["base"],
  ["config", "registry", "templates"],
  ["telemetry", "fake-llm", "formatters", "cache"],
  ["stores", "blocks"],
  ["tasks", "tools", "studio"],
  ["builders"],
  ["engine"],
  ["cli"],
  ["index.ts"],
];

const SRC = join(ROOT, "src");
const rank = new Map(LAYERS.flatMap((layer, i) => layer.map((unit) => [unit, i] as const)));

const BASE = new Set(["util", "errors.ts"]);

/** The top-level unit of src/ a file belongs to: its first folder or the file itself, or "base". */
function unitOf(file: string): string {
  const top = relative(SRC, file).split(sep)[0]!;
  return BASE.has(top) ? "base" : top;
}

/** Every .ts file under dir, tests excluded (a test may reach across layers to set things up). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return e.endsWith(".ts") && !e.endsWith(".test.ts") ? [p] : [];
  });
}

/** The relative module specifiers a file imports or re-exports, static or dynamic. */
function relativeImports(text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom|\bimport\s*\(|^\s*import)\s*["']([^"']+)["']/gm)];
  return specs.map((m) => m[1]!).filter((s) => s.startsWith("."));
}

interface Edge {
  file: string;
  from: string;
  to: string;
}

/** Every import from one top-level unit of src/ into another. */
function crossUnitImports(): Edge[] {
  return sourceFiles(SRC).flatMap((file) =>
    relativeImports(readFileSync(file, "utf8")).flatMap((spec) => {
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      const from = unitOf(file);
      const to = unitOf(target);
      return from === to ? [] : [{ file: relative(ROOT, file), from, to }];
    }),
  );
}

/** Why an edge breaks the layering, or undefined when it is allowed. */
function violation(edge: Edge): string | undefined {
  const from = rank.get(edge.from);
  const to = rank.get(edge.to);
  if (from === undefined) return `${edge.file}: src/${edge.from} is in no layer`;
  if (to === undefined) return `${edge.file}: imports src/${edge.to}, which is in no layer`;
  if (to < from) return undefined;
  const how = to === from ? "a folder of its own layer" : "a higher layer";
  return `${edge.file}: ${edge.from} imports ${edge.to}, ${how}`;
}

describe("import direction in src/", () => {
  it("puts every folder and top-level file of src/ in exactly one layer", () => {
    const units = readdirSync(SRC)
      .filter((e) => statSync(join(SRC, e)).isDirectory() || e.endsWith(".ts"))
      .map((e) => unitOf(join(SRC, e)));
    expect(units.filter((u) => !rank.has(u) && !u.endsWith(".test.ts"))).toEqual([]);
    expect(rank.size).toBe(LAYERS.flat().length);
  });

  it("has no import from a lower layer into a higher one, nor across one layer", () => {
    const edges = crossUnitImports();
    expect(edges.length).toBeGreaterThan(50);
    expect(edges.map(violation).filter(Boolean)).toEqual([]);
  });

  it("flags an upward import and a sideways one", () => {
    expect(violation({ file: "src/stores/x.ts", from: "stores", to: "blocks" })).toMatch(
      /its own layer/,
    );
    expect(violation({ file: "src/util/x.ts", from: "base", to: "engine" })).toMatch(
      /higher layer/,
    );
    expect(violation({ file: "src/engine/x.ts", from: "engine", to: "base" })).toBeUndefined();
  });

  it("sees static, type-only, re-exported and dynamic imports", () => {
    const text = [
      'import { a } from "../x.js";',
      'import type { B } from "./y.js";',
      'export { c } from "../../z.js";',
      'const m = await import("../w.js");',
      'import "./side-effect.js";',
      'import { z } from "zod";',
    ].join("\n");
    expect(relativeImports(text)).toEqual([
      "../x.js",
      "./y.js",
      "../../z.js",
      "../w.js",
      "./side-effect.js",
    ]);
  });
});
