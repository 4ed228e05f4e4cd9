import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FIXTURES, PLUGINS, readJsonl, task } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
// tsx's loader by absolute URL, so the CLI starts from any working directory.
const CLI = [
  "--import",
  pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href,
  join(ROOT, "src/cli/main.ts"),
];

describe("Ctrl-C and the environment", () => {
  it("SIGINT stops after saving what is in flight; the next run completes from there", async () => {
    const out = mkdtempSync(join(tmpdir(), "digit-sigint-"));
    const args = [
      ...CLI,
      "run",
      task("gen_b"),
      "--plugin-dir",
      PLUGINS,
      "--config-path",
      join(FIXTURES, "slow-mock.yaml"),
      "--output-dir",
      out,
      "--num-outputs-to-generate",
      "150",
      "--quiet",
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    const state = join(out, "test/gen_b/dataloader_state.jsonl");
    await new Promise<void>((ok) => {
      const t = setInterval(() => {
        if (existsSync(state) && readJsonl(state).length >= 3) {
          clearInterval(t);
          ok();
        }
      }, 10);
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((ok) => child.once("exit", ok));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("stopping after the requests in flight are saved");
    const results = readJsonl(join(out, "test/gen_b/task_results.jsonl"));
    expect(results.at(-1)!.status).toBe("cancelled");
    const committed = readJsonl(join(out, "test/gen_b/data.jsonl")).length;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(150);
    expect(existsSync(join(out, "test/gen_b/final_data.jsonl"))).toBe(false);

    const again = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    expect(again.status, again.stderr).toBe(0);
    expect(readJsonl(join(out, "test/gen_b/final_data.jsonl"))).toHaveLength(150);
    const ids = readJsonl(join(out, "test/gen_b/data.jsonl")).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 60_000);

  it("reads ./.env without overriding the environment, and honours DGT_OUTPUT_DIR and DGT_DATA_DIR", () => {
    const cwd = mkdtempSync(join(tmpdir(), "digit-env-"));
    writeFileSync(join(cwd, "seeds.jsonl"), '{"text": "from the data dir"}\n');
    writeFileSync(
      join(cwd, ".env"),
      `DGT_OUTPUT_DIR=${join(cwd, "from-dotenv")}\nDGT_DATA_DIR=ignored-because-set\n`,
    );
    writeFileSync(
      join(cwd, "task.yaml"),
      "task_name: test/env\ndata_builder: test/echo_gen\nseed_datastore:\n  data_path: ${DGT_DATA_DIR}/seeds.jsonl\n",
    );
    const r = spawnSync(
      process.execPath,
      [...CLI, "run", "task.yaml", "--plugin-dir", PLUGINS, "--quiet"],
      { cwd, encoding: "utf8", env: { ...process.env, DGT_DATA_DIR: cwd, DGT_OUTPUT_DIR: "" } },
    );
    expect(r.status, r.stderr).toBe(0);
    // DGT_OUTPUT_DIR was set (empty) in the environment, so .env does not override it; empty means the default.
    expect(existsSync(join(cwd, "from-dotenv"))).toBe(false);
    expect(readJsonl(join(cwd, "output/test/env/final_data.jsonl"))).toHaveLength(2);

    const r2 = spawnSync(
      process.execPath,
      [...CLI, "run", "task.yaml", "--plugin-dir", PLUGINS, "--quiet", "--restart"],
      {
        cwd,
        encoding: "utf8",
        env: { ...withoutKey(process.env, "DGT_OUTPUT_DIR"), DGT_DATA_DIR: cwd },
      },
    );
    expect(r2.status, r2.stderr).toBe(0);
    expect(readJsonl(join(cwd, "from-dotenv/test/env/final_data.jsonl"))).toHaveLength(2);
  }, 60_000);
});

function withoutKey(env: NodeJS.ProcessEnv, key: string): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy[key];
  return copy;
}
