import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliEnv, ROOT, tempDir } from "../cli/helpers.js";
import { startFakeLLM } from "../support/fake-llm/index.js";
import { toolCallingRespond } from "../support/tool-calling-fake.js";
import {
  copyClone,
  folderProject,
  installEnv,
  makeClone,
  packClone,
  tarballProject,
} from "./install.js";

const DIR = join(ROOT, "docs", "tutorials");

/** The shell blocks of a page that are marked `<!-- test -->`, in order. */
function testedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- test -->\s*\n```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

/** Pages whose commands run from a checkout of digit (they use its tasks/, configs/ and data/). */
function needsCheckout(markdown: string): boolean {
  return markdown.includes("<!-- test-cwd: checkout");
}

const pages = readdirSync(DIR)
  .filter((f) => f.endsWith(".md"))
  .sort()
  .map((name) => ({ name, md: readFileSync(join(DIR, name), "utf8") }));

/** Run a page's tested commands in `cwd`; `prelude` may define `npx`. */
function runPage(
  page: { name: string; md: string },
  cwd: string,
  env: NodeJS.ProcessEnv,
  prelude = "",
): void {
  const blocks = testedBlocks(page.md);
  expect(blocks.length, "a tutorial must have tested commands").toBeGreaterThan(0);
  const r = spawnSync("bash", ["-c", `set -euo pipefail\n${prelude}${blocks.join("\n")}`], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  expect(r.status, `${page.name} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stderr).not.toMatch(/internal error|Cannot find module/);
}

// One build serves the three ways of getting digit: the clone itself, `npm pack` of it, and a
// folder install of it. Each page then runs in a fresh clone and in a fresh folder of each project.
const env = installEnv(cliEnv());
let base = "";
let clone = "";
let tarballDir = "";
let folderDir = "";

beforeAll(() => {
  base = tempDir("digit-tutorials-");
  clone = join(base, "digit");
  makeClone(clone, env);
  const tarball = packClone(clone, base, env);
  tarballDir = join(base, "from-tarball");
  tarballProject(tarballDir, tarball, env);
  folderDir = join(base, "from-folder");
  folderProject(folderDir, clone, env);
}, 400_000);

// The installed project holds a copy of every dependency (~150 MB): remove it all (links are removed, not followed).
afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
}, 300_000);

describe("tutorials: every marked command runs in a clone of the repository", () => {
  for (const page of pages) {
    it(page.name, () => {
      const dir = join(base, `clone-${page.name}`);
      copyClone(clone, dir);
      // In a clone `npx digit` runs the package's own bin (npm exec first copies the clone into its
      // cache and builds it again there); run that bin directly.
      runPage(
        page,
        dir,
        env,
        `npx() { if [ "$1" = digit ]; then shift; node ${JSON.stringify(join(dir, "dist/src/cli/main.js"))} "$@"; else command npx "$@"; fi; }\n`,
      );
    }, 150_000);
  }
});

describe("a plugin in a clone of the repository", () => {
  it("gets the framework the compiled CLI runs (dist/), not a second copy from src/ through the clone's tsconfig paths", () => {
    const dir = join(base, "clone-probe");
    copyClone(clone, dir);
    mkdirSync(join(dir, "plugins"));
    // The plugin reports where its ValidatorBlock comes from: the first frames of an error thrown in its constructor.
    writeFileSync(
      join(dir, "plugins", "probe.ts"),
      `import { ValidatorBlock, ok, registerBlock } from "digit-sdg";
try { new (ValidatorBlock as unknown as new () => object)(); } catch (e) { console.error("FROM", String((e as Error).stack).split("\\n").slice(1, 3).join(" ")); }
@registerBlock("probe/where")
export class Where extends ValidatorBlock { validate() { return ok(); } }
`,
    );
    const r = spawnSync(
      process.execPath,
      [join(dir, "dist/src/cli/main.js"), "describe", "probe/where"],
      { cwd: dir, env, encoding: "utf8", timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^FROM .*\/dist\/src\/blocks\/(block|validator)\.js/m);
    expect(r.stderr).not.toMatch(/\/src\/blocks\/(block|validator)\.ts/);
  });
});

for (const [how, project] of [
  ["installed from `npm pack`", () => tarballDir],
  ["installed from a folder", () => folderDir],
] as const) {
  describe(`tutorials: every marked command runs verbatim in a project with digit ${how}`, () => {
    for (const page of pages.filter((p) => !needsCheckout(p.md))) {
      it(page.name, () => {
        // A folder inside the project: npm finds the project (and its node_modules/.bin) above it.
        const dir = join(project(), page.name.replace(/\.md$/, ""));
        mkdirSync(dir);
        // A folder install brings only the link: the plugins must get zod (and all else) through digit.
        if (how.includes("folder"))
          expect(existsSync(join(project(), "node_modules", "zod"))).toBe(false);
        runPage(page, dir, env);
      }, 150_000);
    }
  });
}

describe("digit studio installed from `npm pack`", () => {
  it("serves its bundled front end, offline", async () => {
    const out = join(tarballDir, "studio-output");
    mkdirSync(out);
    const bin = join(tarballDir, "node_modules", ".bin", "digit");
    const child = spawn(bin, ["studio", out, "--port", "0"], {
      cwd: tarballDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let text = "";
        child.stdout.on("data", (d: Buffer) => {
          text += d.toString();
          const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
          if (m) ok(m[0]);
        });
        child.on("exit", (code) => fail(new Error(`digit studio exited with ${code}`)));
      });
      const page = await (await fetch(url)).text();
      expect(page).toContain("<title>digit studio</title>");
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page)?.[1];
      expect((await fetch(`${url}${script}`)).status).toBe(200);
      expect(await (await fetch(`${url}api/runs`)).json()).toMatchObject({ runs: [] });
    } finally {
      child.kill("SIGTERM");
    }
  }, 60_000);
});

describe("plugins written against the public API, in a project with digit installed from `npm pack`", () => {
  it("a tool plugin (digit-sdg/tools) and an LLM provider block (digit-sdg) run through `digit run`", async () => {
    // test/fixtures/tool-plugins: a loader, an engine, an enrichment and a sampler of a project's
    // own, and a provider block that calls the fake server with fetch; run with the installed bin.
    const dir = join(tarballDir, "tool-plugins");
    cpSync(join(ROOT, "test/fixtures/tool-plugins"), dir, { recursive: true });
    const fake = await startFakeLLM({ respond: toolCallingRespond, apiKey: "sk-plain" });
    try {
      writeFileSync(
        join(dir, "o.yaml"),
        `databuilders:\n  tool_calling/multi_turn/stateless:\n    blocks:\n      - name: generator\n        type: plain/chat\n        model_id_or_path: fake-model\n        base_url: ${fake.openaiBaseURL}\n`,
      );
      const bin = join(tarballDir, "node_modules", ".bin", "digit");
      const args = ["run", "task.yaml", "--config-path", "o.yaml", "--output-dir", "out"];
      args.push("--include-namespaces", "public", "--num-outputs-to-generate", "2", "--no-cache");
      const child = spawn(bin, args, {
        cwd: dir,
        env: { ...env, PLAIN_CHAT_API_KEY: "sk-plain", DGT_DATA_DIR: join(ROOT, "data") },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const code = await new Promise<number | null>((ok) => child.on("exit", ok));
      expect(code, stderr).toBe(0);
      const final = readFileSync(
        join(dir, "out/test/tool_plugins/ledger/final_data.jsonl"),
        "utf8",
      );
      expect(final.trim().split("\n")).toHaveLength(2);
      expect(final).toContain('"entry":"E-1"');
      expect(fake.stats().byPath["/v1/chat/completions"]).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  }, 120_000);
});
