import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../cli/helpers.js";

const ENTRY = join(ROOT, "src/index.ts");
const TOOLS_ENTRY = join(ROOT, "src/tools/index.ts");

interface PublicExport {
  name: string;
  /** The JSDoc blocks that document it: its declaration's, or (for a package digit re-exports, z) the export statement's. */
  docs: string[];
}

/** The JSDoc comment blocks directly attached to a node, as text. */
function jsDocOf(node: ts.Node): string[] {
  return ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((d) => d.getText());
}

/** The statement a declaration belongs to (a `const` is documented on its `export const` line). */
function documentedNode(decl: ts.Declaration): ts.Node {
  return ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
}

/** Every name an entry (src/index.ts) exports, values and types, with the JSDoc that documents each. */
function publicExports(entry = ENTRY): PublicExport[] {
  const program = ts.createProgram([entry], {
    allowJs: false,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    strict: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(module).map((symbol) => {
    const specifier = symbol.declarations?.find(ts.isExportSpecifier);
    const statement = specifier?.parent.parent;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const inDigit = (target.declarations ?? []).filter((d) =>
      d.getSourceFile().fileName.startsWith(join(ROOT, "src")),
    );
    const docs =
      inDigit.length > 0
        ? inDigit.flatMap((d) => jsDocOf(documentedNode(d)))
        : statement
          ? jsDocOf(statement)
          : [];
    return { name: symbol.name, docs };
  });
}

/** Files a builder, doc or test may import the package from (not this test). */
function consumers(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    if (e === "node_modules" || e.startsWith(".")) return [];
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return consumers(p);
    return /\.(ts|md)$/.test(e) && !p.endsWith("public-api.test.ts") ? [p] : [];
  });
}

const FRONT_DOOR = /digit-sdg|(?:\.\.\/)+src\/index\.js/.source;
const TOOLS_SUBPATH = /digit-sdg\/tools|(?:\.\.\/)+src\/tools\/index\.js/.source;

/** Names imported from "digit-sdg" (or src/index.ts; or another `entry`) in the given files. */
function importedNames(files: string[], entry = FRONT_DOOR): Set<string> {
  const names = new Set<string>();
  const imports = new RegExp(
    `import\\s+(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*\\\\?["'](?:${entry})\\\\?["']`,
    "g",
  );
  for (const file of files) {
    for (const m of readFileSync(file, "utf8").matchAll(imports)) {
      // A trailing comma leaves an empty part.
      for (const part of m[1]!.split(",").filter((p) => p.trim()))
        names.add(
          part
            .trim()
            .replace(/^type\s+/, "")
            .split(/\s+as\s+/)[0]!,
        );
    }
  }
  return names;
}

describe("the public API (src/index.ts)", () => {
  const exported = publicExports();

  it("is the plugin and builder toolkit, not the engine or internals", () => {
    const names = exported.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "registerBlock",
        "Block",
        "ValidatorBlock",
        "ok",
        "reject",
        "LMProvider",
        "Datastore",
        "Dataloader",
        "Formatter",
        "GenerationDataBuilder",
        "ConfigError",
        "z",
        "Row",
      ]),
    );
    for (const internal of [
      "run",
      "planRun",
      "RunOptions",
      "localExecutor",
      "checkBlockConfig",
      "baseBlockConfigSchema",
      "MISSING",
      "recordId",
    ]) {
      expect(names, internal).not.toContain(internal);
    }
  });

  it("documents every export with JSDoc that has an @example", () => {
    const undocumented = exported
      .filter((e) => !e.docs.some((d) => d.includes("@example")))
      .map((e) => e.name);
    expect(undocumented).toEqual([]);
  });

  it("exports only what a builder, a doc or a test imports from the package", () => {
    const files = [
      ...["builders", "docs", "test"].flatMap((d) => consumers(join(ROOT, d))),
      join(ROOT, "README.md"),
    ];
    const used = importedNames(files);
    const unused = exported.map((e) => e.name).filter((n) => !used.has(n));
    expect(
      unused,
      `nothing imports these from "digit-sdg" (${files.map((f) => relative(ROOT, f)).length} files read)`,
    ).toEqual([]);
  });

  it("exports every name the docs import from the package", () => {
    const pages = [...consumers(join(ROOT, "docs")), join(ROOT, "README.md")].filter((f) =>
      f.endsWith(".md"),
    );
    const names = new Set(exported.map((e) => e.name));
    expect([...importedNames(pages)].filter((n) => !names.has(n))).toEqual([]);
  });
});

describe("the engine subpath (digit-sdg/engine)", () => {
  it("resolves to src/engine/index.ts and exports the programmatic run", async () => {
    const engine = await import("digit-sdg/engine");
    expect(typeof engine.run).toBe("function");
    expect(typeof engine.planRun).toBe("function");
    expect(typeof engine.localExecutor.generate).toBe("function");
  });
});

describe("the tools subpath (digit-sdg/tools)", () => {
  const exported = publicExports(TOOLS_ENTRY);

  it("is what a tool plugin needs, not the task's tool assembly or the built-in catalog", () => {
    const names = exported.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "registerToolEngine",
        "registerToolSampler",
        "defineEngine",
        "defineSampler",
        "defineEnrichment",
        "simulateCalls",
        "ToolEngine",
        "ToolSampler",
        "ToolEnrichment",
        "ToolSamplingError",
        "ToolRegistry",
        "embedTexts",
      ]),
    );
    for (const internal of ["buildTaskTools", "lookup", "ENGINES", "SAMPLERS", "toolDefinition"])
      expect(names, internal).not.toContain(internal);
  });

  it("documents every export with JSDoc that has an @example", () => {
    expect(
      exported.filter((e) => !e.docs.some((d) => d.includes("@example"))).map((e) => e.name),
    ).toEqual([]);
  });

  it("exports only what a builder, a doc or a test imports from it, and all that docs import", () => {
    const files = [
      ...["builders", "docs", "test"].flatMap((d) => consumers(join(ROOT, d))),
      join(ROOT, "README.md"),
    ];
    const used = importedNames(files, TOOLS_SUBPATH);
    expect(exported.map((e) => e.name).filter((n) => !used.has(n))).toEqual([]);
    const names = new Set(exported.map((e) => e.name));
    const pages = files.filter((f) => f.endsWith(".md"));
    expect([...importedNames(pages, TOOLS_SUBPATH)].filter((n) => !names.has(n))).toEqual([]);
  });

  it("resolves to src/tools/index.ts", async () => {
    const tools = await import("digit-sdg/tools");
    expect(typeof tools.registerToolEngine).toBe("function");
  });
});
