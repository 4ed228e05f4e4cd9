/**
 * LM throughput: how close digit keeps a credential to its ideal request rate N/L (N concurrent
 * requests allowed, L seconds per request) against the fake LLM server.
 *
 * Cases (each printed as ratios against the ideal measured in this run):
 *   1. block: one `openai` block call of 1000 rows, limit 64, server cap 64, 200 ms latency.
 *   2. block, adaptive: configured 64, server real cap 16 → 429 count and ratio to 16/L.
 *   3. CLI: `digit run` of the geography QA example through `openai` (the DiGiT override file
 *      swaps its generator to the fake server), 1000 records: server-window rate, whole process.
 *   4. CLI, adaptive: the same with a server cap of 16.
 * Cases 1 and 3 also print a baseline measured in the same run: a bare `node:http` client
 * (bare-client.mjs) sending the same number of requests, `limit` at a time, to the same server, in
 * process for case 1 and as its own Node process for case 3. It shows how close to N/L this
 * machine and the fake server let any Node client come, and digit's figures as a share of that.
 * 5. Case 3 on Node 20, 22 and 24 side by side, without and with Node's compile cache.
 * The CLI cases need `npm run build` to succeed (the bench runs it); they are skipped with a note
 * when dist/src/cli/main.js is missing.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import {
  type FakeLLM,
  type FakeLLMStats,
  startFakeLLM,
} from "../../test/support/fake-llm/index.js";
import { nodeRuntimes } from "../support/nodes.js";
import { bareClient } from "./bare-client.mjs";

const LATENCY_S = 0.2;
const RECORDS = 1000;
const LIMIT = 64;
const REAL_CAP = 16;
const KEY = "test-key-bench-7f3a";
const ANSWER = "Question: What is the capital of country {{n}}?\nAnswer: City {{n}}";
const root = new URL("../../", import.meta.url).pathname;

interface Figures {
  serverRate: number;
  completed: number;
  rateLimited: number;
  requests: number;
  peak: number;
  wallS: number;
}

function figures(s: FakeLLMStats, wallS: number): Figures {
  const windowS =
    s.firstRequestAt && s.lastAnswerAt ? (s.lastAnswerAt - s.firstRequestAt) / 1000 : NaN;
  const requests =
    s.completed + s.rateLimited + Object.values(s.failuresInjected).reduce((a, b) => a + b, 0);
  return {
    serverRate: s.completed / windowS,
    completed: s.completed,
    rateLimited: s.rateLimited,
    requests,
    peak: s.peakInFlight,
    wallS,
  };
}

const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

function printSaturation(
  label: string,
  f: Figures,
  ideal: number,
  records: number,
  bare: Figures,
): void {
  const whole = label.startsWith("cli") ? "process" : "call";
  const bareWhole = RECORDS / bare.wallS;
  console.log(`${label}`);
  console.log(
    `  requests/s (server window) ${f1(f.serverRate)}  ideal N/L ${f1(ideal)}  ratio ${f2(f.serverRate / ideal)}  (target >= 0.95)`,
  );
  console.log(
    `    bare node:http client, same run: ${f1(bare.serverRate)} = ${f2(bare.serverRate / ideal)} of N/L; digit reaches ${f2(f.serverRate / bare.serverRate)} of it`,
  );
  console.log(
    `  records/s (whole ${whole}) ${f1(records / f.wallS)}  ratio ${f2(records / f.wallS / ideal)}  (target >= 0.80)`,
  );
  console.log(
    `    bare node:http client (whole ${whole}): ${f1(bareWhole)} = ${f2(bareWhole / ideal)} of N/L; digit reaches ${f2(records / f.wallS / bareWhole)} of it`,
  );
  console.log(
    `  peak in-flight ${f.peak} (limit ${LIMIT})  answered ${f.completed}  429s ${f.rateLimited}`,
  );
}

/** The baseline: a bare node:http client, in this process or as its own Node process. */
async function bareCase(fake: FakeLLM, ownProcess: boolean): Promise<Figures> {
  fake.reset();
  const started = performance.now();
  if (ownProcess) {
    const script = fileURLToPath(new URL("./bare-client.mjs", import.meta.url));
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [script, fake.openaiBaseURL, String(RECORDS), String(LIMIT)],
        { stdio: "inherit" },
      );
      child.on("error", reject);
      child.on("exit", (code) =>
        code === 0 ? resolve() : reject(new Error(`bare client exited with ${code}`)),
      );
    });
  } else {
    await bareClient(fake.openaiBaseURL, RECORDS, LIMIT);
  }
  return figures(fake.stats(), (performance.now() - started) / 1000);
}

function printAdaptive(label: string, f: Figures): void {
  const ideal = REAL_CAP / LATENCY_S;
  const share = f.rateLimited / Math.max(1, f.requests);
  console.log(`${label}`);
  console.log(
    `  requests/s (server window) ${f1(f.serverRate)}  real cap/L ${f1(ideal)}  ratio ${f2(f.serverRate / ideal)}  (target >= 0.85)`,
  );
  console.log(
    `  429s ${f.rateLimited} of ${f.requests} requests = ${(share * 100).toFixed(1)} %  (target < 5 %)  peak in-flight ${f.peak}`,
  );
}

async function blockCase(fake: FakeLLM, key: string): Promise<Figures> {
  credentialPool().clear();
  fake.reset();
  const block = new OpenAIProvider({
    name: "generator",
    type: "openai",
    model_id_or_path: "fake-model",
    base_url: fake.openaiBaseURL,
    api_key: key,
    call_limit: LIMIT,
    max_retries: 20,
  });
  const rows = Array.from({ length: RECORDS }, (_, i) => ({
    input: [{ role: "user", content: `Write a geography question ${i}` }],
    task_name: "bench",
  }));
  const started = performance.now();
  const out = await block.call(rows, { method: "chat_completion" });
  const wallS = (performance.now() - started) / 1000;
  const failed = out.filter((r) => r.error).length;
  if (failed) console.log(`  (${failed} rows failed)`);
  return figures(fake.stats(), wallS);
}

function buildCli(): boolean {
  const main = join(root, "dist/src/cli/main.js");
  console.log("building (npm run build) for the CLI cases ...");
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0)
    console.log(`  build reported errors (status ${r.status}); using whatever dist/ holds`);
  return existsSync(main);
}

async function cliCase(
  fake: FakeLLM,
  node = process.execPath,
  env: NodeJS.ProcessEnv = {},
): Promise<{
  f: Figures;
  records: number;
  status: number | null;
  keyLeaked: boolean;
  stderr: string;
}> {
  fake.reset();
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-lm-"));
  const override = join(dir, "override.yaml");
  writeFileSync(
    override,
    [
      "databuilders:",
      "  public/examples/geography_qa:",
      "    blocks:",
      "      - name: generator",
      "        type: openai",
      "        model_id_or_path: fake-model",
      `        base_url: ${fake.openaiBaseURL}`,
      `        api_key: ${KEY}`,
      `        call_limit: ${LIMIT}`,
      "",
    ].join("\n"),
  );
  const out = join(dir, "out");
  const args = [
    "dist/src/cli/main.js",
    "run",
    "tasks/public/examples/qa/task.yaml",
    "--include-namespaces",
    "public",
    "--config-path",
    override,
    "--num-outputs-to-generate",
    String(RECORDS),
    "--output-dir",
    out,
    "--restart",
  ];
  const started = performance.now();
  const { status, stderr } = await new Promise<{ status: number | null; stderr: string }>(
    (resolve) => {
      const child = spawn(node, args, {
        cwd: root,
        env: {
          ...process.env,
          DGT_TELEMETRY_DIR: join(dir, "telemetry"),
          LOG_LEVEL: "warn",
          ...env,
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("exit", (code) => resolve({ status: code, stderr: err }));
    },
  );
  const wallS = (performance.now() - started) / 1000;
  const files = walk(dir);
  const keyLeaked =
    files.some((f) => readFileSync(f, "utf8").includes(KEY) && f !== override) ||
    stderr.includes(KEY);
  const data =
    files.find((f) => /geography_qa[/\\]data\.jsonl$/.test(f)) ??
    files.find((f) => /[/\\]data\.jsonl$/.test(f));
  const records = data
    ? readFileSync(data, "utf8")
        .split("\n")
        .filter((l) => l.trim() && !/"is_seed":\s*true/.test(l)).length
    : 0;
  rmSync(dir, { recursive: true, force: true });
  return { f: figures(fake.stats(), wallS), records, status, keyLeaked, stderr };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/**
 * Case 3 on Node 20, 22 and 24 side by side (runtimes from `nodeRuntimes`), each without and with
 * Node's compile cache (warmed by a first run; Node 20 has none): records/s of the whole process
 * as a share of N/L.
 */
async function runtimesCase(fake: FakeLLM, ideal: number): Promise<void> {
  console.log(
    `cli on each Node runtime: records/s (whole process) / N/L, target >= 0.80 on Node >= 22 with the compile cache`,
  );
  const cache = mkdtempSync(join(tmpdir(), "digit-bench-compile-cache-"));
  try {
    for (const node of nodeRuntimes()) {
      const rate = async (env: NodeJS.ProcessEnv) => {
        const r = await cliCase(fake, node.path, env);
        return r.status === 0 ? (r.records || RECORDS) / r.f.wallS / ideal : Number.NaN;
      };
      const without = await rate({ NODE_DISABLE_COMPILE_CACHE: "1" });
      let withCache = "(no compile cache)";
      if (node.major >= 22) {
        const env = { NODE_COMPILE_CACHE: join(cache, node.version) };
        await cliCase(fake, node.path, env);
        withCache = `with cache ${f2(await rate(env))}`;
      }
      console.log(`  ${node.version.padEnd(9)} without cache ${f2(without)}  ${withCache}`);
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** Run the benchmark. */
export async function run(): Promise<void> {
  const ideal = LIMIT / LATENCY_S;
  const fake = await startFakeLLM({
    latencyMs: LATENCY_S * 1000,
    cap: LIMIT,
    retryAfterMs: 1000,
    responses: [ANSWER],
  });
  try {
    // Warm up connections and the JIT so case 1 measures steady state, not start-up.
    fake.configure({ latencyMs: 0 });
    await blockCase(fake, "warm-up");
    fake.configure({ latencyMs: LATENCY_S * 1000 });

    const bareInProcess = await bareCase(fake, false);
    printSaturation(
      `block: 1 openai call x ${RECORDS} rows, limit ${LIMIT}, server cap ${LIMIT}, latency ${LATENCY_S * 1000} ms`,
      await blockCase(fake, "block-key"),
      ideal,
      RECORDS,
      bareInProcess,
    );
    fake.configure({ cap: REAL_CAP });
    printAdaptive(
      `block adaptive: configured ${LIMIT}, server real cap ${REAL_CAP}`,
      await blockCase(fake, "block-key-2"),
    );
    fake.configure({ cap: LIMIT });

    if (!buildCli()) {
      console.log("cli: SKIPPED (dist/src/cli/main.js missing after npm run build)");
      return;
    }
    const bareProcess = await bareCase(fake, true);
    const cli = await cliCase(fake);
    if (cli.status !== 0) {
      console.log(
        `cli: digit run exited with ${cli.status}:\n${cli.stderr.split("\n").slice(-15).join("\n")}`,
      );
    }
    printSaturation(
      `cli: digit run geography QA, ${RECORDS} records, call_limit ${LIMIT}, server cap ${LIMIT}`,
      cli.f,
      ideal,
      cli.records || RECORDS,
      bareProcess,
    );
    console.log(
      `  records written ${cli.records}  wall ${f2(cli.f.wallS)} s  API key in output/logs: ${cli.keyLeaked ? "YES (bug)" : "no"}`,
    );
    fake.configure({ cap: REAL_CAP });
    const adaptive = await cliCase(fake);
    if (adaptive.status !== 0)
      console.log(`cli adaptive: digit run exited with ${adaptive.status}`);
    printAdaptive(`cli adaptive: configured ${LIMIT}, server real cap ${REAL_CAP}`, adaptive.f);
    fake.configure({ cap: LIMIT });
    await runtimesCase(fake, ideal);
  } finally {
    await fake.close();
  }
}
