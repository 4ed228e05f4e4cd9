import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv, digit, MAIN, ROOT, TSX, tempDir } from "./helpers.js";

const TASK = join(ROOT, "tasks/public/examples/qa/task.yaml");
const SLOW = join(ROOT, "test/cli/fixtures/mock-qa-slow.yaml");
const ESC = "\u001b";
const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** Run digit under a pseudo-terminal with util-linux `script`; returns everything the terminal got. */
function underPty(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  // A wide terminal, so whole progress lines fit (the display cuts lines at the terminal width).
  const cmd = `stty cols 160 rows 40; exec ${[TSX, MAIN, ...args].map(quote).join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", cmd, "/dev/null"], {
      cwd,
      env: cliEnv({ COLUMNS: "160", LINES: "40", TERM: "xterm" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("progress and summary on the terminal", () => {
  it.skipIf(!hasScript)(
    "a terminal run of the geography QA example shows live progress lines and ends with the summary",
    async () => {
      const work = tempDir();
      const r = await underPty(
        [
          "run",
          TASK,
          "--include-namespaces",
          "public",
          "--config-path",
          SLOW,
          "--output-dir",
          join(work, "out"),
          "--num-outputs-to-generate",
          "24",
          "--restart",
        ],
        work,
      );
      expect(r.code, r.output).toBe(0);
      // Live bars: cursor movement escape codes and our progress fields.
      expect(r.output).toContain(ESC);
      expect(r.output).toMatch(
        /public\/examples\/geography_qa\s+\[[█░]+\] \d+\/24 (ETA \S+|completed) \| rej \d+ \| \d+ in flight \| [\d.]+ req\/s/,
      );
      expect(r.output).toMatch(/\[█+\] 24\/24 completed \| rej \d+ \| 0 in flight/);
      // Several distinct states were drawn while it ran (not only the final one).
      const counts = new Set([...r.output.matchAll(/\] (\d+)\/24 /g)].map((m) => m[1]));
      expect(counts.size).toBeGreaterThan(1);
      // The summary comes last.
      const tail = r.output.slice(r.output.lastIndexOf("task "));
      expect(tail).toMatch(
        /^task\s+status\s+records\s+rejected\s+requests\s+failures\s+tokens in\/out\s+cost\s+time/,
      );
      expect(tail).toMatch(/public\/examples\/geography_qa\s+completed\s+24\/24\s+dedup \d+/);
      expect(tail).toMatch(/summary: .*run_summary\.json/);
      expect(existsSync(join(work, "out", "run_summary.json"))).toBe(true);
    },
  );

  it("without a terminal prints periodic plain progress lines and no escape codes", async () => {
    const work = tempDir();
    const r = await digit(
      [
        "run",
        TASK,
        "--include-namespaces",
        "public",
        "--config-path",
        SLOW,
        "--output-dir",
        join(work, "out"),
        "--num-outputs-to-generate",
        "24",
        "--restart",
      ],
      { cwd: work, env: { DGT_PROGRESS_INTERVAL_MS: "100" } },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("progress: "));
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines)
      expect(l).toMatch(
        /^progress: public\/examples\/geography_qa: \d+\/24 records, \d+ rejected, \d+ in flight, [\d.]+ req\/s, tokens [\d,]+\/[\d,]+, (ETA \S+|completed)$/,
      );
    expect(lines.at(-1)).toMatch(/completed$/);
    expect(r.stdout + r.stderr).not.toContain(ESC);
    expect(r.stdout).toMatch(/public\/examples\/geography_qa\s+completed\s+24\/24/);
  });

  it("--log-format json prints only JSON lines, and the summary as one JSON object", async () => {
    const work = tempDir();
    const r = await digit(
      [
        "run",
        TASK,
        "--include-namespaces",
        "public",
        "--config-path",
        SLOW,
        "--output-dir",
        join(work, "out"),
        "--num-outputs-to-generate",
        "6",
        "--restart",
        "--log-format",
        "json",
      ],
      { cwd: work, env: { DGT_PROGRESS_INTERVAL_MS: "100" } },
    );
    expect(r.code, r.stderr).toBe(0);
    const err = r.stderr.split("\n").filter((l) => l.trim() && !l.startsWith("npm warn"));
    expect(err.length).toBeGreaterThan(0);
    const parsed = err.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      parsed.some(
        (p) =>
          p.msg === "progress" &&
          p.task_name === "public/examples/geography_qa" &&
          typeof p.accepted === "number",
      ),
    ).toBe(true);
    const out = r.stdout.trim().split("\n");
    expect(out).toHaveLength(1);
    const summary = JSON.parse(out[0]!) as {
      msg: string;
      tasks: { task: string; records: number }[];
    };
    expect(summary.msg).toBe("run_summary");
    expect(summary.tasks[0]).toMatchObject({ task: "public/examples/geography_qa", records: 6 });
    const written = JSON.parse(readFileSync(join(work, "out", "run_summary.json"), "utf8")) as {
      tasks: unknown[];
    };
    expect(written.tasks).toEqual(summary.tasks);
  });

  it("--quiet prints no progress and no info lines, but still the summary", async () => {
    const work = tempDir();
    const r = await digit(
      [
        "run",
        TASK,
        "--include-namespaces",
        "public",
        "--config-path",
        SLOW,
        "--output-dir",
        join(work, "out"),
        "--num-outputs-to-generate",
        "4",
        "--restart",
        "--quiet",
      ],
      { cwd: work, env: { DGT_PROGRESS_INTERVAL_MS: "50" } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/progress:|postprocessing epoch|done:/);
    expect(r.stdout).toMatch(/public\/examples\/geography_qa\s+completed\s+4\/4/);
  });
});
