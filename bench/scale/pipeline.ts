/** The `core/pipeline` and generation cases of the scale benchmark: whole CLI processes. */
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const MAX_RSS = join(import.meta.dirname, "max-rss.mjs");

/** What one child process took. */
export interface ProcessFigures {
  seconds: number;
  /** CPU seconds the process used (user + system): what it costs, however busy the machine. */
  cpuSeconds: number;
  maxRssMb: number;
  code: number | null;
  stderr: string;
}

/** Run `node <args>` (with the peak-RSS reporter preloaded) and time it. */
export function timeNode(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  node = process.execPath,
): Promise<ProcessFigures> {
  const rssFile = join(ROOT, `.bench-rss-${process.pid}-${Math.random().toString(16).slice(2)}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, ["--import", MAX_RSS, ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        DGT_TELEMETRY_DISABLE: "1",
        LOG_LEVEL: "warn",
        ...env,
        BENCH_RSS_FILE: rssFile,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      let maxRssMb = Number.NaN;
      let cpuSeconds = Number.NaN;
      try {
        const u = JSON.parse(readFileSync(rssFile, "utf8")) as { maxRSS: number; cpu: number };
        maxRssMb = u.maxRSS / 1024;
        cpuSeconds = u.cpu / 1e6;
      } catch {}
      spawn("rm", ["-f", rssFile]);
      resolve({ seconds, cpuSeconds, maxRssMb, code, stderr });
    });
  });
}

/** Write `n` JSONL records (question, answer, n) to `file`. */
export async function writeInput(file: string, n: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i += 1000) {
    let chunk = "";
    for (let j = i; j < Math.min(n, i + 1000); j++)
      chunk += `${JSON.stringify({ question: `What is item number ${j} about?`, answer: `It is about thing ${(j * 7) % 1000}`, n: j })}\n`;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, e) => out.end((err?: Error | null) => (err ? e(err) : r())));
}

/** `n` records through `core/pipeline` with one `field_map` step, and the baseline on the same input. */
export async function pipelineCase(
  dir: string,
  n: number,
): Promise<{ digit: ProcessFigures; baseline: ProcessFigures }> {
  const input = join(dir, `in-${n}.jsonl`);
  await writeInput(input, n);
  writeFileSync(
    join(dir, "task.yaml"),
    `task_name: bench/rename\ndata_builder: core/pipeline\ndata:\n  type: default\n  data_path: ${input}\n`,
  );
  writeFileSync(
    join(dir, "override.yaml"),
    "databuilders:\n  core/pipeline:\n    blocks:\n      - { name: rename, type: field_map, field_map: { question: prompt } }\n    steps: [rename]\n",
  );
  const baseline = await timeNode([
    join(import.meta.dirname, "baseline-transform.mjs"),
    input,
    join(dir, "baseline.jsonl"),
  ]);
  const digit = await timeNode([
    "dist/src/cli/main.js",
    "run",
    join(dir, "task.yaml"),
    "--config-path",
    join(dir, "override.yaml"),
    "--output-dir",
    join(dir, "out"),
    "--restart",
  ]);
  return { digit, baseline };
}

/**
 * `n` records of the geography QA example with the mock provider (offline) and its ROUGE-L dedup
 * postprocessor, or a `minhash_dedup` one.
 */
export async function generationCase(
  dir: string,
  n: number,
  dedup: "rouge" | "minhash",
): Promise<ProcessFigures> {
  const override = join(dir, `gen-${dedup}.yaml`);
  const base = readFileSync(join(ROOT, "configs/mock/public/examples/qa.yaml"), "utf8");
  const minhash =
    "      - { name: dedup, type: minhash_dedup, threshold: 0.9, filter: true, input_map: { question: input } }\n";
  writeFileSync(
    override,
    dedup === "minhash" ? base.replace("    blocks:\n", `    blocks:\n${minhash}`) : base,
  );
  return timeNode([
    "dist/src/cli/main.js",
    "run",
    "tasks/public/examples/qa/task.yaml",
    "--include-namespaces",
    "public",
    "--config-path",
    override,
    "--num-outputs-to-generate",
    String(n),
    "--output-dir",
    join(dir, `gen-${dedup}`),
    "--restart",
  ]);
}
