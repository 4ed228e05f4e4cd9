/**
 * The studio on a large output folder, measured through Chromium: the time from opening a task's
 * records tab to its first page shown (this includes indexing the JSONL file on first request),
 * then the time per page when paging with "Next". Baseline measured in the same run: the same
 * steps on a 1,000-record folder.
 *
 * Targets (issue 19): first page under 1 s and paging under 300 ms per page on 1,000,000 records.
 */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { build } from "vite";
import { startStudio } from "../../src/studio/server.js";

const N = Number(process.env.BENCH_STUDIO_N ?? 1_000_000);
const PAGES = 10;
const ROOT = join(import.meta.dirname, "../..");

async function writeOutput(root: string, n: number): Promise<void> {
  const task = join(root, "qa");
  await mkdir(task, { recursive: true });
  await writeFile(
    join(task, "task_results.jsonl"),
    `${JSON.stringify({ status: "completed", metrics: { records: n } })}\n`,
  );
  const out = createWriteStream(join(task, "final_data.jsonl"));
  for (let i = 0; i < n; i++) {
    const line = `${JSON.stringify({ task_name: "qa", is_seed: false, question: `What is the capital of land number ${i}?`, answer: `The capital of land ${i} is City ${i}.`, tags: ["geo", `t${i % 7}`], id: `r${i}` })}\n`;
    if (!out.write(line)) await new Promise<void>((ok) => out.once("drain", () => ok()));
  }
  await new Promise<void>((ok) => out.end(ok));
}

async function measure(page: Page, url: string, n: number): Promise<Timings> {
  const status = page.getByTestId("page-status");
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await page.goto(`${url}#task=qa&tab=records`);
  await status.filter({ hasText: `of ${n.toLocaleString("en-US")}` }).waitFor({ timeout: 60_000 });
  const first = performance.now() - t0;
  const firstCpu = cpuMs(process.cpuUsage(c0));
  const paging: number[] = [];
  const pagingCpu: number[] = [];
  for (let p = 1; p <= PAGES; p++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await page.getByTestId("next").click();
    await status.filter({ hasText: `rows ${(p * 50 + 1).toLocaleString("en-US")}–` }).waitFor();
    paging.push(performance.now() - t);
    pagingCpu.push(cpuMs(process.cpuUsage(c)));
  }
  return { first, paging, firstCpu, pagingCpu };
}

/** Wall times through the browser, and the CPU time (user + sys) of this process: the server. */
interface Timings {
  first: number;
  paging: number[];
  firstCpu: number;
  pagingCpu: number[];
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "digit-bench-studio-"));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    await build({
      configFile: join(ROOT, "studio-app", "vite.config.ts"),
      logLevel: "error",
      build: { outDir: join(dir, "assets"), emptyOutDir: true },
    });
    const results: Record<string, Timings> = {};
    for (const [name, n] of [
      ["baseline", 1000],
      ["large", N],
    ] as const) {
      const t = performance.now();
      await writeOutput(join(dir, name), n);
      console.log(`${name}: wrote ${n.toLocaleString()} records in ${ms(performance.now() - t)}`);
      const studio = await startStudio({
        root: join(dir, name),
        port: 0,
        assetsDir: join(dir, "assets"),
      });
      const page = await browser.newPage();
      results[name] = await measure(page, studio.url, n);
      await page.close();
      await studio.close();
    }
    const base = results.baseline!;
    const large = results.large!;
    const firstOk = large.first < 1000;
    const pageOk = Math.max(...large.paging) < 300;
    console.log(
      `first page: ${ms(large.first)} on ${N.toLocaleString()} records vs ${ms(base.first)} on 1,000 (${(large.first / base.first).toFixed(1)}×); target < 1 s: ${firstOk ? "met" : "MISSED"}`,
    );
    console.log(
      `paging: median ${ms(median(large.paging))}, worst ${ms(Math.max(...large.paging))} per page vs median ${ms(median(base.paging))} on 1,000 (${(median(large.paging) / median(base.paging)).toFixed(1)}×); target < 300 ms: ${pageOk ? "met" : "MISSED"}`,
    );
    // Wall times include waiting for the CPU on a shared machine: the server's own CPU time and
    // the load average say how much of them was work.
    console.log(
      `server CPU (user+sys): first page ${ms(large.firstCpu)} vs ${ms(base.firstCpu)} on 1,000; paging median ${ms(median(large.pagingCpu))}, worst ${ms(Math.max(...large.pagingCpu))} vs median ${ms(median(base.pagingCpu))}; load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`,
    );
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
