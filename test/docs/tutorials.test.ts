import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv, MAIN, ROOT, tempDir, TSX } from "../cli/helpers.js";

const DIR = join(ROOT, "docs", "tutorials");

/** The shell blocks of a page that are marked `<!-- test -->`, in order. */
export function testedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- test -->\s*\n```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

// `npx digit` in the pages runs this checkout's CLI (through tsx), as an installed digit would.
const PRELUDE = `set -euo pipefail
npx() { if [ "$1" = digit ]; then shift; ${JSON.stringify(TSX)} ${JSON.stringify(MAIN)} "$@"; else command npx "$@"; fi; }
`;

describe("tutorials: every marked command runs", () => {
  for (const page of readdirSync(DIR).filter((f) => f.endsWith(".md")).sort()) {
    it(page, () => {
      const md = readFileSync(join(DIR, page), "utf8");
      const blocks = testedBlocks(md);
      expect(blocks.length, "a tutorial must have tested commands").toBeGreaterThan(0);
      const cwd = tempDir("digit-tutorial-");
      // A user project has digit and its dependencies installed.
      symlinkSync(join(ROOT, "node_modules"), join(cwd, "node_modules"), "dir");
      if (md.includes("<!-- test-cwd: checkout")) for (const d of ["tasks", "configs", "data"]) symlinkSync(join(ROOT, d), join(cwd, d), "dir");
      const r = spawnSync("bash", ["-c", PRELUDE + blocks.join("\n")], { cwd, env: cliEnv(), encoding: "utf8", timeout: 120_000 });
      expect(r.status, `${page} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/internal error/);
    }, 150_000);
  }
});
