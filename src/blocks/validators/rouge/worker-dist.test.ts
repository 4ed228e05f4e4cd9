import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { RougeDeduplicator } from "./dedup.js";

// The worker is found next to pool.{ts,js}. From source (this test run) it is a .ts file started
// through tsx; from dist/ it is plain .js. This test builds the rouge modules as .js into a
// temporary folder and runs the threaded dedup from there.
const here = new URL(".", import.meta.url);
const out = mkdtempSync(join(tmpdir(), "digit-rouge-dist-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("rouge worker threads from compiled JavaScript", () => {
  it("run the .js worker and decide like the source build", async () => {
    writeFileSync(join(out, "package.json"), '{ "type": "module" }');
    for (const f of readdirSync(here).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const source = readFileSync(new URL(f, here), "utf8");
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(out, f.replace(/\.ts$/, ".js")), js);
    }
    const mod = (await import(
      /* @vite-ignore */ pathToFileURL(join(out, "dedup.js")).href
    )) as typeof import("./dedup.js");
    const texts = Array.from(
      { length: 400 },
      (_, i) => `question ${i % 150} about topic ${(i * 7) % 31} and more words ${i % 3}`,
    );
    const compiled = new mod.RougeDeduplicator({ threshold: 0.8, workers: 2, parallelMinPairs: 0 });
    try {
      const threaded = await compiled.run(
        texts.map((text) => ({ text })),
        { filtering: true },
      );
      expect(threaded.stats.threads).toBe(2);
      const reference = await new RougeDeduplicator({ threshold: 0.8, workers: 0 }).run(
        texts.map((text) => ({ text })),
        { filtering: true },
      );
      expect(threaded.verdicts).toEqual(reference.verdicts);
      expect(threaded.verdicts.some((v) => !v.valid)).toBe(true);
    } finally {
      await compiled.close();
    }
  });
});
