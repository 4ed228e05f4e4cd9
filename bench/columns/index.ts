/**
 * core/columns throughput: records with two LLM columns, the second reading the first, against
 * the fake LLM server at 200 ms per request with a limit of 64 concurrent requests. Cells run
 * per record (a record's second request starts when its first answer is in), so the limiter
 * should stay full across both columns: the figure is the server-window request rate as a share
 * of the ideal N/L (64 / 0.2 s = 320 requests/s), measured in the same run.
 *
 * Cases:
 *   0. baseline, same run: one `openai` block call of as many requests, all queued at once (what
 *      this machine and server allow any digit caller; the machine's load shows here).
 *   1. in process: `run()` of 2,000 records (4,000 requests): rate, ratio to N/L and to the
 *      baseline, mean in flight.
 *   2. CLI (`digit run` from dist/, built by the bench): 1,000 records, whole process and
 *      time from process start to the first request; `digit preview -n 10` whole process.
 * Printed beside NeMo Data Designer 0.9's figures for the same workload on this machine (issue 22).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdaptiveLimiter } from "../../src/blocks/lm/limiter.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import { run } from "../../src/engine/run.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import {
  type FakeLLM,
  type FakeLLMStats,
  startFakeLLM,
} from "../../test/support/fake-llm/index.js";

const LATENCY_S = 0.2;
const LIMIT = 64;
const IDEAL = LIMIT / LATENCY_S;
const root = new URL("../../", import.meta.url).pathname;

/**
 * NeMo Data Designer 0.9 on this machine against the same kind of server (1,000 records, 2,000
 * requests, max_parallel_requests 64). Source: issue 22 ("Done when"), measured by the session
 * that filed it.
 */
const DATA_DESIGNER = {
  records: 1000,
  wholeS: 41,
  rate: 54,
  ratio: 0.17,
  inFlight: 11,
  firstRequestS: 3.2,
  preview10S: 3.8,
} as const;

function taskYaml(dir: string, fake: FakeLLM, records: number): string {
  const file = join(dir, "task.yaml");
  writeFileSync(
    file,
    `task_name: bench/columns
data_builder: core/columns
runner_config: { num_outputs_to_generate: ${records} }
models:
  - { name: writer, type: openai, model_id_or_path: fake, base_url: "${fake.openaiBaseURL}", api_key: bench-key, max_concurrent_requests: ${LIMIT}, adaptive_concurrency: false }
columns:
  - { name: topic, type: sampler, sampler_type: category, params: { values: [billing, shipping, returns, accounts] } }
  - { name: question, type: llm_text, model: writer, prompt: "Write a customer question about {{ topic }}." }
  - { name: answer, type: llm_text, model: writer, prompt: "Answer this question: {{ question }}" }
`,
  );
  return file;
}

interface Window {
  rate: number;
  windowS: number;
  inFlight: number;
  completed: number;
  peak: number;
}

function window(s: FakeLLMStats): Window {
  const windowS =
    s.firstRequestAt && s.lastAnswerAt ? (s.lastAnswerAt - s.firstRequestAt) / 1000 : NaN;
  // Every answer takes the fixed latency, so the mean number in flight is answers × latency /
  // window.
  return {
    rate: s.completed / windowS,
    windowS,
    inFlight: (s.completed * LATENCY_S) / windowS,
    completed: s.completed,
    peak: s.peakInFlight,
  };
}

/** The process's credential limiters (one here: the fake server's). */
function limiters(): AdaptiveLimiter[] {
  return [
    ...(
      credentialPool() as unknown as { limiters: Map<string, AdaptiveLimiter> }
    ).limiters.values(),
  ];
}

/** A CLI run in its own process: whole time, and time from spawn to the server's first request. */
async function cli(
  fake: FakeLLM,
  args: string[],
): Promise<{ wholeS: number; firstS: number; window: Window }> {
  fake.reset();
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "dist/src/cli/main.js"), ...args], {
      stdio: "ignore",
      cwd: mkdtempSync(join(tmpdir(), "digit-bench-cwd-")),
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`digit ${args[0]} exited with ${code}`)),
    );
  });
  const s = fake.stats();
  return {
    wholeS: (Date.now() - started) / 1000,
    firstS: s.firstRequestAt ? (s.firstRequestAt - started) / 1000 : NaN,
    window: window(s),
  };
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const row = (label: string, digit: string, dd: string) =>
  console.log(`  ${label.padEnd(34)} ${digit.padStart(10)}   ${dd.padStart(10)}`);

/** `npm run bench columns`. */
export async function run_(): Promise<void> {
  const fake = await startFakeLLM({
    latencyMs: LATENCY_S * 1000,
    responses: ["A reply about the {{words}}, number {{n}}."],
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), "digit-bench-columns-"));
    const records = 2000;
    const block = new OpenAIProvider(
      {
        name: "baseline",
        type: "openai",
        model_id_or_path: "fake",
        base_url: fake.openaiBaseURL,
        api_key: "bench-key",
        max_concurrent_requests: LIMIT,
        adaptive_concurrency: false,
      },
      {},
    );
    fake.reset();
    await block.call(
      Array.from({ length: records * 2 }, (_, i) => ({
        input: [{ role: "user", content: `Question ${i}` }],
      })),
      { method: "chat_completion" },
    );
    await block.close();
    const base = window(fake.stats());
    console.log(
      `baseline: one openai block call of ${base.completed} requests: ${f1(base.rate)} requests/s = ${f2(base.rate / IDEAL)} of N/L (mean in flight ${f1(base.inFlight)})`,
    );
    fake.reset();
    // The credential's limiter, sampled while the run goes: slots held and requests queued show
    // whether the builder keeps it full (the server's figure also carries the client's overheads).
    const slots: { held: number; waiting: number }[] = [];
    const sampler = setInterval(() => {
      for (const l of limiters()) slots.push({ held: l.inFlight, waiting: l.waiting });
    }, 50);
    const started = performance.now();
    const result = await run({
      taskPaths: [taskYaml(dir, fake, records)],
      outputDir: join(dir, "out"),
      logger: silentLogger,
    });
    const wholeS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const busy = slots.filter((x) => x.held > 0);
    const held = busy.reduce((a, x) => a + x.held, 0) / Math.max(1, busy.length);
    const queued = busy.filter((x) => x.waiting > 0).length / Math.max(1, busy.length);
    if (result.error) throw result.error;
    const w = window(fake.stats());
    console.log(
      `in process: ${records} records, ${w.completed} requests, limit ${LIMIT}, ${LATENCY_S * 1000} ms per request; ideal N/L ${f1(IDEAL)} requests/s`,
    );
    console.log(
      `  requests/s (server window)  ${f1(w.rate)}   ratio to N/L ${f2(w.rate / IDEAL)}  (target >= 0.90); to the baseline ${f2(w.rate / base.rate)}`,
    );
    console.log(
      `  limiter while busy: ${f1(held)} of ${LIMIT} slots held on average, requests queued in ${f2(queued)} of the samples`,
    );
    console.log(
      `  mean in flight ${f1(w.inFlight)} of ${LIMIT} (peak ${w.peak}); window ${f1(w.windowS)} s; whole call ${f1(wholeS)} s`,
    );

    let cliFigures:
      | { run: Awaited<ReturnType<typeof cli>>; preview: Awaited<ReturnType<typeof cli>> }
      | undefined;
    const built =
      spawnSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" }).status === 0 &&
      existsSync(join(root, "dist/src/cli/main.js"));
    if (built) {
      const cliDir = mkdtempSync(join(tmpdir(), "digit-bench-columns-cli-"));
      const file = taskYaml(cliDir, fake, DATA_DESIGNER.records);
      const runFig = await cli(fake, ["run", file, "--output-dir", join(cliDir, "out"), "--quiet"]);
      const previewFig = await cli(fake, ["preview", file, "-n", "10", "--json"]);
      cliFigures = { run: runFig, preview: previewFig };
      const cw = runFig.window;
      console.log(
        `CLI (digit in its own process): ${DATA_DESIGNER.records} records: ${f1(cw.rate)} requests/s = ${f2(cw.rate / IDEAL)} of N/L, mean in flight ${f1(cw.inFlight)}`,
      );
    } else {
      console.log("  (CLI figures skipped: npm run build failed)");
    }

    console.log(
      `\nside by side (NeMo Data Designer 0.9: issue 22, same kind of server on this machine)`,
    );
    row("", "digit", "DD 0.9");
    row("requests/s (server window)", f1(w.rate), f1(DATA_DESIGNER.rate));
    row("share of N/L", f2(w.rate / IDEAL), f2(DATA_DESIGNER.ratio));
    row("mean requests in flight", f1(w.inFlight), f1(DATA_DESIGNER.inFlight));
    if (cliFigures) {
      row(
        `whole process, ${DATA_DESIGNER.records} records (s)`,
        f1(cliFigures.run.wholeS),
        f1(DATA_DESIGNER.wholeS),
      );
      row("start to first request (s)", f1(cliFigures.run.firstS), f1(DATA_DESIGNER.firstRequestS));
      row("preview of 10 records (s)", f1(cliFigures.preview.wholeS), f1(DATA_DESIGNER.preview10S));
      console.log(
        `  ratios (DD / digit): whole ${f1(DATA_DESIGNER.wholeS / cliFigures.run.wholeS)}x, first request ${f1(DATA_DESIGNER.firstRequestS / cliFigures.run.firstS)}x, preview ${f1(DATA_DESIGNER.preview10S / cliFigures.preview.wholeS)}x, rate ${f1(w.rate / DATA_DESIGNER.rate)}x`,
      );
    }
    row("sampled values seeded", "yes", "no");
  } finally {
    await fake.close();
  }
}

export { run_ as run };
