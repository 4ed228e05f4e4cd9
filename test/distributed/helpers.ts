import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const PLUGINS = resolve(import.meta.dirname, "plugins");
export const TASKS = [
  resolve(import.meta.dirname, "tasks/dist_a.yaml"),
  resolve(import.meta.dirname, "tasks/dist_b.yaml"),
];
const MAIN = join(ROOT, "src/cli/main.ts");

/**
 * The API key of the test builders (`api_key: ${DIGIT_DIST_TEST_KEY}` in their YAML). Set in this
 * process's environment when this module loads, so in-process runs and child processes (which
 * inherit it) all have it; a distributed run refuses keys written literally.
 */
export const TEST_KEY = "sk-digit-dist-test-6c1e8a4f0b2d9e73";
process.env.DIGIT_DIST_TEST_KEY = TEST_KEY;

/** A fresh temporary folder. */
export function tempDir(prefix = "digit-dist-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Write a --config-path override pointing both test builders at the fake server.
 *
 * @example
 * writeOverride(dir, fake.openaiBaseURL, { call_limit: 4 })
 */
export function writeOverride(
  dir: string,
  baseURL: string,
  generator: Record<string, unknown> = {},
  builder: Record<string, unknown> = {},
): string {
  const gen = { name: "generator", base_url: baseURL, ...generator };
  const one = { blocks: [gen], ...builder };
  const file = join(dir, "override.json");
  // JSON is YAML: the override loader reads it as is.
  writeFileSync(
    file,
    JSON.stringify({ databuilders: { "dist/echo": one, "dist/echo_b": one } }, null, 2),
  );
  return file;
}

/** A child process of the CLI, with its output kept for failure messages. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Start `digit <args>` (from source, through tsx) as a child process; `env` adds variables to this process's, or removes them (undefined). */
export function cli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv,
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Start a worker and wait until it says it is ready. */
export async function startWorkerProcess(
  url: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
): Promise<CliProcess> {
  const p = cli(["worker", url, "--plugin-dir", PLUGINS, ...args], env);
  const deadline = Date.now() + 20_000;
  while (!/ready on/.test(p.output())) {
    if (p.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`worker did not start:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/** Stop a child gracefully (SIGTERM), then hard after a grace period. */
export async function stop(p: CliProcess, graceMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
  p.child.kill("SIGTERM");
  await p.exited;
  clearTimeout(timer);
}

/** Arguments of a `digit run` of the two test tasks. */
export function runArgs(out: string, override: string, extra: string[] = []): string[] {
  return [
    "run",
    ...TASKS,
    "--plugin-dir",
    PLUGINS,
    "--config-path",
    override,
    "--output-dir",
    out,
    "--quiet",
    ...extra,
  ];
}

/** Records of a JSONL file (empty when it does not exist; a torn last line is skipped). */
export function readJsonl(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  const rows: Record<string, unknown>[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    try {
      rows.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by a kill
    }
  }
  return rows;
}

/** (task, text, id) of a task's final data, in order. */
export function finalData(out: string, task: string): string[] {
  return readJsonl(join(out, task, "final_data.jsonl")).map(
    (r) => `${String(r.task_name)}|${String(r.text)}|${String(r.id)}`,
  );
}
