import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TSX = join(ROOT, "node_modules", ".bin", "tsx");
export const MAIN = join(ROOT, "src", "cli", "main.ts");

/** The outcome of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh temporary folder. */
export function tempDir(prefix = "digit-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Environment for a child digit: plugins resolve "digit-sdg" to the source tree; telemetry off unless asked. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TSX_TSCONFIG_PATH: join(ROOT, "tsconfig.json"),
    DGT_TELEMETRY_DISABLE: "1",
    FORCE_COLOR: "0",
    ...extra,
  };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  return env;
}

/**
 * Run `digit <args>` as a real child process (through tsx, from the source tree).
 *
 * @example
 * const r = await digit(["list", "blocks"], { cwd: ROOT });
 */
export function digit(
  args: readonly string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [MAIN, ...args], {
      cwd: o.cwd ?? ROOT,
      env: cliEnv(o.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Read a JSONL file into objects. */
export function parseJsonl(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
