/**
 * CLI start-up: `digit list blocks` (loads the command, the registry and its scan) on Node 20, 22
 * and 24, with Node's compile cache (`module.enableCompileCache`, Node ≥ 22.1; warmed by one run)
 * and without it (NODE_DISABLE_COMPILE_CACHE=1). The baseline, measured in the same run on each
 * runtime, is `node -e 0`: what starting any Node process costs. Needs `npm run build` (run here).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeRuntimes } from "../support/nodes.js";

const ROOT = join(import.meta.dirname, "../..");
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 10);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(node: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(node, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${node} ${args.join(" ")} exited with ${r.status}`);
  return performance.now() - t;
}

/** Median start-up of `args` over RUNS runs (after one warm-up run). */
function startup(node: string, args: string[], env: NodeJS.ProcessEnv): number {
  time(node, args, env);
  return median(Array.from({ length: RUNS }, () => time(node, args, env)));
}

export async function run(): Promise<void> {
  console.log("building (npm run build) ...");
  spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
  const cache = mkdtempSync(join(tmpdir(), "digit-compile-cache-"));
  try {
    const cli = ["dist/src/cli/main.js", "list", "blocks"];
    console.log(`median of ${RUNS} runs, ms; ratio = digit / bare node -e 0 on the same runtime`);
    console.log("node      bare   no cache        compile cache   cache speed-up");
    for (const node of nodeRuntimes()) {
      const bare = startup(node.path, ["-e", "0"], {});
      const cold = startup(node.path, cli, { NODE_DISABLE_COMPILE_CACHE: "1" });
      const warm = startup(node.path, cli, { NODE_COMPILE_CACHE: join(cache, node.version) });
      const hasCache =
        node.major > 22 || (node.major === 22 && Number(node.version.split(".")[1]) >= 1);
      console.log(
        `${node.version.padEnd(9)} ${bare.toFixed(0).padStart(4)}   ${cold.toFixed(0).padStart(4)} (${(cold / bare).toFixed(1)}×)     ` +
          `${hasCache ? `${warm.toFixed(0).padStart(4)} (${(warm / bare).toFixed(1)}×)     ${(cold / warm).toFixed(2)}×` : "  - (no compile cache in this Node)"}`,
      );
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
