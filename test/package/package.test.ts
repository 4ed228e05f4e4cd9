import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import * as api from "../../src/index.js";
import vitestConfig from "../../vitest.config.js";
import { ROOT } from "../cli/helpers.js";

interface PackageJson {
  name: string;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  name: string;
  packages: Record<string, { name?: string; hasInstallScript?: boolean }>;
};

/** The .ts files and Markdown pages under `dir` (no node_modules, no build output). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    if (e === "node_modules" || e === "dist" || e.startsWith(".")) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|md)$/.test(e)) out.push(p);
  }
  return out;
}

describe("the package", () => {
  it("is named digit-sdg (the name digit on npm is another package) and installs the digit command", () => {
    expect(pkg.name).toBe("digit-sdg");
    expect(Object.keys(pkg.bin)).toEqual(["digit"]);
    expect(lock.name).toBe(pkg.name);
    expect(lock.packages[""]?.name).toBe(pkg.name);
  });

  it("is what builders, plugins and docs import, by that name, and the test and type-check aliases map it", () => {
    const stale = sources(ROOT)
      .filter((f) => /from\s+\\?["']digit\\?["']/.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    expect(stale, 'import the framework as "digit-sdg"').toEqual([]);
    const entries = {
      [pkg.name]: "src/index.ts",
      [`${pkg.name}/engine`]: "src/engine/index.ts",
      [`${pkg.name}/tools`]: "src/tools/index.ts",
    };
    const tsconfig = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    const aliases = (vitestConfig.resolve?.alias ?? []) as { find: RegExp; replacement: string }[];
    for (const [name, file] of Object.entries(entries)) {
      expect(tsconfig.compilerOptions.paths[name], name).toEqual([`./${file}`]);
      const hits = aliases.filter((a) => a.find.test(name));
      expect(
        hits.map((a) => relative(ROOT, a.replacement)),
        name,
      ).toEqual([file]);
    }
  });

  it("exports the toolkit as the package and the engine as its subpath, from dist/", () => {
    expect(pkg.exports["."]).toEqual({
      types: "./dist/src/index.d.ts",
      default: "./dist/src/index.js",
    });
    expect(pkg.exports["./engine"]).toEqual({
      types: "./dist/src/engine/index.d.ts",
      default: "./dist/src/engine/index.js",
    });
    expect(pkg.exports["./tools"]).toEqual({
      types: "./dist/src/tools/index.d.ts",
      default: "./dist/src/tools/index.js",
    });
  });

  it("exports z, so a plugin needs no zod of its own", () => {
    expect(typeof api.z.object).toBe("function");
    expect(api.z.number().int().safeParse(3).success).toBe(true);
  });

  it("decides in allowScripts about every dependency with an install script, so `npm ci` does not warn", () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, e]) => path !== "" && e.hasInstallScript === true)
      .map(
        ([path, e]) =>
          e.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
      );
    expect(withScripts.length).toBeGreaterThan(0);
    const decided = Object.keys(pkg.allowScripts ?? {});
    for (const name of withScripts)
      expect(
        decided.some((k) => k === name || k.startsWith(`${name}@`)),
        name,
      ).toBe(true);
  });
});

/** Dependencies nothing imports, each with why it is declared. */
const NOT_IMPORTED: Record<string, string> = {
  typescript: "the type checker (`npm run typecheck`, `npm run build`)",
  vite: "a required peer dependency of vitest, declared to pin its version",
  "@biomejs/biome": "the linter and formatter, run as a command (`npm run lint`)",
};
/**
 * Installed for work that lands on other branches of this session (the cache, tools, columns, the
 * studio, cost estimates, Magpie's nearest neighbours); an entry goes when its code is merged.
 */
const AWAITING_CODE = [
  "hnswlib-node",
  "better-sqlite3",
  "@modelcontextprotocol/sdk",
  "minisearch",
  "node-sql-parser",
  "ajv",
  "acorn",
  "@opentelemetry/api",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
  "playwright-core",
  "gpt-tokenizer",
];

describe("dependencies", () => {
  it("are each imported by the code, the tests or the benchmarks, or say why not", () => {
    const declared = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const code = ["src", "test", "bench", "scripts", "builders"]
      .flatMap((d) => sources(join(ROOT, d)))
      .concat(join(ROOT, "vitest.config.ts"));
    const text = code
      .filter((f) => !f.endsWith(".md"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const imported = (name: string) =>
      new RegExp(
        `(?:from\\s+|import\\(\\s*|require\\(\\s*)["']${name.replace(/[/.]/g, "\\$&")}(?:/[^"']*)?["']`,
      ).test(text);
    const unused = [...Object.keys(declared.dependencies), ...Object.keys(declared.devDependencies)]
      .filter(
        (name) =>
          !name.startsWith("@types/") && !(name in NOT_IMPORTED) && !AWAITING_CODE.includes(name),
      )
      .filter((name) => !imported(name));
    expect(unused).toEqual([]);
  });
});
