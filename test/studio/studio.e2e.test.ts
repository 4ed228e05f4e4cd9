import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Studio, startStudio } from "../../src/studio/server.js";
import { digit, ROOT } from "../cli/helpers.js";
import { startFakeLLM } from "../support/fake-llm/index.js";
import { writeStudioFixture, writeStudioTelemetry } from "./fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(ROOT, "test-results");

let dir: string;
let studio: Studio;
let browser: Browser;
let page: Page;

// Debian's Chromium (installed by .ci/run); without it these tests are skipped, like the Redis ones.
describe.skipIf(!existsSync(CHROMIUM))("digit studio in Chromium", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "studio-e2e-"));
    await writeStudioFixture(join(dir, "out"));
    // The front end as `npm run build` bundles it, built from the current sources.
    await build({
      configFile: join(ROOT, "studio-app", "vite.config.ts"),
      logLevel: "error",
      build: { outDir: join(dir, "assets"), emptyOutDir: true },
    });
    await writeStudioTelemetry(join(dir, "telemetry"));
    studio = await startStudio({
      root: join(dir, "out"),
      port: 0,
      assetsDir: join(dir, "assets"),
      pollMs: 100,
      telemetryDir: join(dir, "telemetry"),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await mkdir(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await studio?.close();
  });

  it("lists the runs' tasks and shows a task's overview", async () => {
    await page.goto(studio.url);
    await page.getByTestId("task-link").first().waitFor();
    expect(await page.getByTestId("task-link").count()).toBe(3);
    await page.locator('[data-task="run-a/chat/support"]').click();
    await expect.poll(() => page.getByTestId("status").textContent()).toBe("completed");
    expect(await page.getByTestId("overview").textContent()).toContain("length_check: 9");
    await page.getByTestId("chart").first().waitFor();
    expect(await page.getByTestId("overview").textContent()).toContain(
      "LLM requests of the run: 40 (4 failed)",
    );
    expect(await page.locator(".chart rect").count()).toBeGreaterThan(8);
    await page.screenshot({ path: join(SHOTS, "studio-overview.png") });
  });

  it("pages, sorts and searches records, and opens a conversation", async () => {
    await page.getByTestId("tab-records").click();
    const status = page.getByTestId("page-status");
    await expect.poll(() => status.textContent()).toBe("rows 1–50 of 118");
    await page.getByTestId("next").click();
    await expect.poll(() => status.textContent()).toBe("rows 51–100 of 118");
    await page.locator('th[data-col="score"]').click();
    await page.locator('th[data-col="score"]').click();
    await expect.poll(() => status.textContent()).toBe("rows 1–50 of 118");
    expect(await page.getByTestId("row").first().locator("td").nth(5).textContent()).toBe("6");
    await page.getByTestId("search").fill("city 11?");
    await expect.poll(() => status.textContent()).toBe("rows 1–1 of 1");
    await page.getByTestId("row").first().click();
    const view = page.getByTestId("record-view");
    await view.getByTestId("chat").waitFor();
    expect(await view.getByTestId("turn").count()).toBe(5);
    expect(await view.getByTestId("tool-call").textContent()).toContain("get_weather");
    expect(await view.textContent()).toContain("It is sunny in city 11");
    await page.screenshot({ path: join(SHOTS, "studio-conversation.png") });
    await page.getByTestId("close-record").click();
  });

  it("groups rejects by reason and filters them", async () => {
    await page.getByTestId("tab-rejects").click();
    const block = page.locator('[data-block="length_check"]');
    await block.getByTestId("reason").first().waitFor();
    expect(await block.getByTestId("reason").allTextContents()).toEqual([
      "6 no tool result used",
      "3 answer too short (N chars)",
    ]);
    await expect.poll(() => block.getByTestId("page-status").textContent()).toBe("rows 1–9 of 9");
    await block.getByTestId("reason").nth(1).click();
    await expect.poll(() => block.getByTestId("page-status").textContent()).toBe("rows 1–3 of 3");
    await page.screenshot({ path: join(SHOTS, "studio-rejects.png") });
  });

  it("compares two runs of a task", async () => {
    await page.getByTestId("nav-compare").click();
    await page.getByTestId("compare-a").selectOption("run-a/chat/support");
    await page.getByTestId("compare-b").selectOption("run-b/chat/support");
    const row = page.getByTestId("compare-records");
    await row.waitFor();
    expect(await row.locator("td").allTextContents()).toEqual(["118", "58"]);
    expect(await page.getByTestId("compare-table").textContent()).toContain("30 (33.7%)");
    await page.screenshot({ path: join(SHOTS, "studio-compare.png") });
  });

  it("follows a live run as its data file grows", async () => {
    await page.locator('[data-task="run-b/chat/support"]').click();
    await expect.poll(() => page.getByTestId("records").textContent()).toBe("60");
    await page.getByTestId("live").filter({ hasText: "live" }).waitFor();
    const data = join(dir, "out", "run-b", "chat", "support", "data.jsonl");
    await appendFile(
      data,
      `${JSON.stringify({ id: "new1" })}\n${JSON.stringify({ id: "new2" })}\n`,
    );
    await expect.poll(() => page.getByTestId("records").textContent()).toBe("62");
    await page.locator('[data-task="run-a/chat/support"]').click();
    await page.getByTestId("tab-records").click();
    await page.getByTestId("row").first().waitFor();
    await page.screenshot({ path: join(SHOTS, "studio.png") });
  });

  it("follows a real `digit run` as it writes", async () => {
    const fake = await startFakeLLM({
      responses: ["Question: Which city is number {{n}}?\nAnswer: City {{n}}"],
      latencyMs: 400,
    });
    const out = join(dir, "live");
    await mkdir(out);
    const live = await startStudio({
      root: out,
      port: 0,
      assetsDir: join(dir, "assets"),
      pollMs: 100,
    });
    try {
      await page.goto(
        `${live.url}#task=${encodeURIComponent("public/examples/geography_qa")}&tab=overview`,
      );
      const args = [
        "run",
        join(ROOT, "tasks/public/examples/qa/task.yaml"),
        "--include-namespaces",
        "public",
        "--config-path",
        join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
        "--output-dir",
        out,
        "--num-outputs-to-generate",
        "12",
      ];
      const run = digit(args, {
        cwd: dir,
        env: { FAKE_LLM_BASE_URL: fake.openaiBaseURL, DGT_TELEMETRY_DISABLE: "1" },
      });
      // Watch the page (no reload) while the run goes: statuses and record counts it shows.
      const seen: string[] = [];
      let finished = false;
      void run.then(() => (finished = true));
      while (!finished) {
        const shown = await page
          .getByTestId("status")
          .textContent({ timeout: 100 })
          .catch(() => null);
        const records = await page
          .getByTestId("records")
          .textContent({ timeout: 100 })
          .catch(() => null);
        if (shown) seen.push(`${shown} ${records}`);
        await page.waitForTimeout(100);
      }
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      await expect.poll(() => page.getByTestId("status").textContent()).toBe("completed");
      expect(seen.some((x) => x.startsWith("running"))).toBe(true);
      const counts = new Set(
        seen.filter((x) => x.startsWith("running")).map((x) => x.split(" ")[1]),
      );
      expect(counts.size, seen.join(", ")).toBeGreaterThan(1);
      await page.screenshot({ path: join(SHOTS, "studio-live.png") });
    } finally {
      await live.close();
      await fake.close();
    }
  });
});
