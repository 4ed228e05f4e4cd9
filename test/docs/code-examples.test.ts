import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../cli/helpers.js";

/** Complete plugin modules in the docs: page, and the heading whose first `ts` block is one. */
const EXAMPLES = [
  ["docs/tools.md", "## Your own tool types (plugins)"],
  ["docs/providers.md", "## Your own provider"],
  ["docs/tutorials/write-a-databuilder.md", "### Hooks a builder can override"],
] as const;

/** The first ```ts block after `heading` on `page`. */
function exampleAfter(page: string, heading: string): string {
  const md = readFileSync(join(ROOT, page), "utf8");
  const at = md.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`${page} has no heading '${heading}'`);
  const m = /```ts\n([\s\S]*?)```/.exec(md.slice(at));
  if (!m) throw new Error(`${page} '${heading}' has no ts block`);
  return m[1]!;
}

// A folder inside the repository, so the examples resolve "digit-sdg" as a plugin of a clone does.
const DIR = join(ROOT, "test", "docs", ".examples");
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe("the docs' plugin examples", () => {
  it("type-check against the package as written (strict, the repository's tsconfig)", () => {
    mkdirSync(DIR, { recursive: true });
    const files = EXAMPLES.map(([page, heading], i) => {
      const file = join(DIR, `example-${i}.ts`);
      writeFileSync(file, exampleAfter(page, heading));
      return file;
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, "tsconfig.json"),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const program = ts.createProgram(files, { ...config.options, noEmit: true });
    // Only the examples' own diagnostics: checking them type-checks what they use, not all of src/.
    const problems = files
      .flatMap((f) => {
        const source = program.getSourceFile(f)!;
        return [
          ...program.getSyntacticDiagnostics(source),
          ...program.getSemanticDiagnostics(source),
        ];
      })
      .map((d) => {
        const i = files.indexOf(d.file!.fileName);
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${EXAMPLES[i]![0]} example line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);
});
