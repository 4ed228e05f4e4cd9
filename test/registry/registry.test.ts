import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PluginLoadError, UnknownNameError } from "../../src/errors.js";
import { PACKAGE_ROOT } from "../../src/registry/package-root.js";
import { Registry } from "../../src/registry/registry.js";
import { scanText } from "../../src/registry/scan.js";

/** A plugin folder whose modules record on globalThis that they were imported. */
function pluginDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "digit-plugins-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const block = (marker: string, name: string) => `
import { registerBlock } from "digit-sdg";
(globalThis.__digitImported ??= []).push(${JSON.stringify(marker)});
/** A test block called ${name}. */
@registerBlock(${JSON.stringify(name)})
export class B_${marker} {}
`;

const imported = () => ((globalThis as { __digitImported?: string[] }).__digitImported ??= []);

describe("registry", () => {
  it("scans ./plugins when the working directory is a clone of digit itself", async () => {
    const dir = join(PACKAGE_ROOT, "plugins");
    const made = !existsSync(dir);
    const file = join(dir, `registry_test_${process.pid}.ts`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, block("inClone", `clone_test_${process.pid}/min_length`));
    try {
      const registry = await Registry.open({ cwd: PACKAGE_ROOT });
      expect(registry.knownNames("block")).toContain(`clone_test_${process.pid}/min_length`);
    } finally {
      rmSync(made ? dir : file, { recursive: true, force: true });
    }
  });

  it("imports only the module of the name asked for", async () => {
    const dir = pluginDir({
      "a.ts": block("lazyA", "lazy/a"),
      "b.ts": block("lazyB", "lazy/b"),
      "sub/c.ts": block("lazyC", "lazy/c"),
    });
    const registry = await Registry.open({ cwd: dir, pluginDirs: [dir] });
    expect(registry.knownNames("block")).toEqual(
      expect.arrayContaining(["lazy/a", "lazy/b", "lazy/c"]),
    );
    expect(imported()).not.toContain("lazyA");
    const cls = await registry.resolve("block", "lazy/b");
    expect((cls as { name: string }).name).toBe("B_lazyB");
    expect(imported()).toContain("lazyB");
    expect(imported()).not.toContain("lazyA");
    expect(imported()).not.toContain("lazyC");
    expect(registry.entries("block").find((e) => e.name === "lazy/c")?.description).toBe(
      "A test block called lazy/c.",
    );
  });

  it("an unknown name lists the known ones and suggests the closest", async () => {
    const dir = pluginDir({ "a.ts": block("dymA", "my_org/min_length") });
    const registry = await Registry.open({ cwd: dir, pluginDirs: [dir] });
    const err = await registry.resolve("block", "my_org/min_lenght").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownNameError);
    expect((err as UnknownNameError).hint).toContain("did you mean 'my_org/min_length'?");
    expect((err as UnknownNameError).hint).toContain("mock");
    expect((err as UnknownNameError).code).toBe("DIGIT_UNKNOWN_BLOCK");
  });

  it("names outside enabled namespaces need --include-namespaces", async () => {
    const off = await Registry.open({ cwd: tmpdir() });
    const err = await off
      .resolve("databuilder", "public/examples/geography_qa")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownNameError);
    expect((err as UnknownNameError).hint).toBe("add --include-namespaces public");
    expect(() => off.builderYaml("public/examples/geography_qa")).toThrow(/not enabled/);
    const on = await Registry.open({ cwd: tmpdir(), namespaces: ["public"] });
    expect(on.builderYaml("public/examples/geography_qa").file).toMatch(
      /geography_qa[/\\]builder\.yaml$/,
    );
    await expect(Registry.open({ namespaces: ["pubic"] })).rejects.toThrow(
      /namespace 'pubic' does not exist/,
    );
  });

  it("a plugin that throws on import is reported with its file", async () => {
    const dir = pluginDir({
      "broken.ts": `import { registerBlock } from "digit-sdg";\nthrow new Error("boom at import");\n@registerBlock("broken/one")\nexport class X {}\n`,
    });
    const registry = await Registry.open({ cwd: dir, pluginDirs: [dir] });
    const err = await registry.resolve("block", "broken/one").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as PluginLoadError).file).toMatch(/broken\.ts$/);
    expect((err as PluginLoadError).message).toContain("boom at import");
  });
});

describe("static scan", () => {
  it("finds multi-line, single-quoted and aliased registrations and ignores comments", () => {
    const text = [
      "// @registerBlock('commented/out')",
      '/* registerBlock("also/commented") */',
      "@registerBlock(",
      "  'multi/line',",
      '  "alias/two",',
      ")",
      "export class A {}",
      "@registerDataBuilder(`tpl/builder`)",
      "export class B {}",
    ].join("\n");
    const found = scanText(text, "f.ts", "user").map((e) => `${e.kind}:${e.name}`);
    expect(found).toEqual(["block:multi/line", "block:alias/two", "databuilder:tpl/builder"]);
  });

  it("finds tool types a plugin registers with a call, not the register functions' own code", () => {
    const text = [
      '// registerToolEngine("commented/out", def)',
      "/** Appends to a ledger. */",
      'export const e = registerToolEngine("ledger/engine", defineEngine({}));',
      "registerToolSampler(",
      "  'ledger/window',",
      "  defineSampler({}),",
      ");",
      "export function registerToolLoader(name: string, d: LoaderDefinition) {}",
    ].join("\n");
    const found = scanText(text, "f.ts", "user").map((e) => `${e.kind}:${e.name}:${e.description}`);
    expect(found).toEqual([
      "tool_engine:ledger/engine:Appends to a ledger.",
      "tool_sampler:ledger/window:",
    ]);
  });

  it("takes a block's description from its JSDoc in source and as tsc compiles it", () => {
    const source = [
      "/**",
      " * Scores things. More text.",
      " */",
      '@registerBlock("scorer")',
      "export class Scorer {}",
    ].join("\n");
    const compiled = [
      "/**",
      " * Scores things. More text.",
      " */",
      "let Scorer = (() => {",
      '    let _classDecorators = [registerBlock("scorer")];',
      "})();",
    ].join("\n");
    const detached = [
      "/** Something else. */",
      "const x = 1;",
      '@registerBlock("scorer")',
      "export class Scorer {}",
    ].join("\n");
    expect(scanText(source, "a.ts", "core")[0]!.description).toBe("Scores things.");
    expect(scanText(compiled, "a.js", "core")[0]!.description).toBe("Scores things.");
    expect(scanText(detached, "a.ts", "core")[0]!.description).toBe("");
    const abbreviated = [
      "/**",
      " * Any endpoint (e.g. a vLLM server) works. Details follow.",
      " */",
      '@registerBlock("x")',
      "export class X {}",
    ].join("\n");
    expect(scanText(abbreviated, "a.ts", "core")[0]!.description).toBe(
      "Any endpoint (e.g. a vLLM server) works.",
    );
  });
});
