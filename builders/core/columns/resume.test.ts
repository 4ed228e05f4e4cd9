import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readJsonl } from "../../../test/engine/helpers.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const TASK = join(ROOT, "tasks/core/columns/customer_support/task.yaml");
const TARGET = 300;
const OUT = "core/columns/customer_support";

/** The example's mock override, slowed down so a kill lands mid-run. */
function override(dir: string): string {
  const file = join(dir, "slow.yaml");
  const mock = readFileSync(join(ROOT, "configs/mock/core/columns/customer_support.yaml"), "utf8");
  writeFileSync(file, mock.replace(/type: mock\n/g, "type: mock\n        latency_ms: 15\n"));
  return file;
}

/** `digit run` of the example in a child process; `killAfterMs` after its first commit, SIGKILL. */
function digitRun(out: string, config: string, killAfterMs?: number): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "src/cli/main.ts"),
      "run",
      TASK,
      "--config-path",
      config,
      "--output-dir",
      out,
      "--num-outputs-to-generate",
      String(TARGET),
      "--seed-batch-size",
      "10",
      "--seed",
      "5",
      "--quiet",
    ],
    { cwd: ROOT, stdio: "ignore" },
  );
  if (killAfterMs !== undefined) {
    const state = join(out, OUT, "dataloader_state.jsonl");
    const poll = setInterval(() => {
      if (!existsSync(state) || !/"data_rows":[1-9]/.test(readFileSync(state, "utf8"))) return;
      clearInterval(poll);
      setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    }, 5);
    child.on("exit", () => clearInterval(poll));
  }
  return new Promise((done) => child.on("exit", (code) => done(code)));
}

describe("core/columns resume after SIGKILL", () => {
  it("gives exactly the target, the survivors unchanged, nothing twice, and the records of an uninterrupted run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-kill-"));
    const config = override(dir);
    const killed = join(dir, "killed");
    expect(await digitRun(killed, config, 150)).toBeNull(); // killed, not finished
    const committed = Number(
      /"data_rows":(\d+)[^\n]*\n?$/.exec(
        readFileSync(join(killed, OUT, "dataloader_state.jsonl"), "utf8"),
      )![1],
    );
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(TARGET);
    const survivors = readJsonl(join(killed, OUT, "data.jsonl")).slice(0, committed);

    expect(await digitRun(killed, config)).toBe(0);
    const resumed = readJsonl(join(killed, OUT, "final_data.jsonl"));
    expect(resumed).toHaveLength(TARGET);
    expect(new Set(resumed.map((r) => r.id)).size).toBe(TARGET);
    const strip = ({ customer: _c, ...r }: Record<string, unknown>) => r;
    expect(resumed.slice(0, committed)).toEqual(survivors.map(strip));

    const whole = join(dir, "whole");
    expect(await digitRun(whole, config)).toBe(0);
    const reference = readJsonl(join(whole, OUT, "final_data.jsonl"));
    expect(resumed.map((r) => [r.category, r.difficulty, r.id])).toEqual(
      reference.map((r) => [r.category, r.difficulty, r.id]),
    );
  }, 120_000);
});
