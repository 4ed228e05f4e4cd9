import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
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
    await page.locator('[data-chart="latency"]').waitFor();
    expect(await page.getByTestId("overview").textContent()).toContain(
      "LLM requests of the run: 43 (4 failed)",
    );
    expect(await page.locator(".chart rect").count()).toBeGreaterThan(8);
    // The task's course from its progress.jsonl: records, cost, tokens, rates, failures.
    for (const chart of ["records", "cost", "tokens", "rate", "errors"])
      expect(await page.locator(`[data-chart="${chart}-over-time"] polyline`).count()).toBe(
        chart === "cost" ? 1 : 2,
      );
    expect(await page.locator('[data-chart="cost-over-time"]').textContent()).toContain("USD 0.12");
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
    // No recorded request holds this record's text; the next one has its prompts.
    await view.getByTestId("no-prompts").waitFor();
    await page.getByTestId("close-record").click();
    await page.getByTestId("search").fill("sunny in city 5,");
    await expect.poll(() => page.getByTestId("row").first().textContent()).toContain("rec0005");
    expect(await status.textContent()).toBe("rows 1–1 of 1");
    await page.getByTestId("row").first().click();
    await view.getByTestId("prompt-call").first().waitFor();
    const calls = view.getByTestId("prompt-call");
    expect(await calls.evaluateAll((els) => els.map((e) => e.getAttribute("data-span")))).toEqual([
      "p0",
      "p1",
    ]);
    expect(await calls.first().getByTestId("turn").nth(1).textContent()).toContain(
      "Write a support chat about city 5.",
    );
    expect(await calls.first().getByTestId("prompt-answer").textContent()).toContain(
      "It is sunny in city 5, 15 degrees.",
    );
    await view.getByTestId("prompts").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, "studio-record-prompts.png") });
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
    // A next run's counters arrive in its progress.jsonl: requests in flight, the request rate
    // between its last two lines, failed attempts.
    const line = (at: string, requests: number, inFlight: number, failed: number) =>
      `${JSON.stringify({ time: at, run_id: "run-c", status: "running", records: 62, requests, in_flight: inFlight, failed_attempts: failed })}\n`;
    await appendFile(
      join(dir, "out", "run-b", "chat", "support", "progress.jsonl"),
      line("2026-12-04T11:00:00.000Z", 40, 3, 1) + line("2026-12-04T11:00:04.000Z", 70, 6, 4),
    );
    await expect.poll(() => page.getByTestId("in-flight").textContent()).toBe("6");
    expect(await page.getByTestId("request-rate").textContent()).toBe("7.5");
    expect(await page.getByTestId("failed-attempts").textContent()).toBe("4");
    expect(await page.getByTestId("status").textContent()).toBe("running");
    await page.locator('[data-task="run-a/chat/support"]').click();
    await page.getByTestId("tab-records").click();
    await page.getByTestId("row").first().waitFor();
    await page.screenshot({ path: join(SHOTS, "studio.png") });
  });

  it("follows a real `digit run` as it writes: progress, rates, in-flight requests, charts, prompts", async () => {
    const fake = await startFakeLLM({
      responses: ["Question: Which city is number {{n}}?\nAnswer: City {{n}}"],
      latencyMs: 300,
    });
    const out = join(dir, "live");
    const telemetry = join(dir, "live-telemetry");
    await mkdir(out);
    // Three requests at a time: records arrive in several waves, so the page sees them grow
    // even when a loaded machine lets it look only now and then.
    const config = join(dir, "live-openai-qa.yaml");
    await writeFile(
      config,
      [
        "databuilders:",
        "  public/examples/geography_qa:",
        "    blocks:",
        "      - name: generator",
        "        type: openai",
        "        model_id_or_path: fake-model",
        "        base_url: ${FAKE_LLM_BASE_URL}",
        "        api_key: test-key",
        "        call_limit: 3",
        "",
      ].join("\n"),
    );
    const live = await startStudio({
      root: out,
      port: 0,
      assetsDir: join(dir, "assets"),
      pollMs: 100,
      telemetryDir: telemetry,
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
        config,
        "--output-dir",
        out,
        "--num-outputs-to-generate",
        "24",
        "--no-cache",
      ];
      const run = digit(args, {
        cwd: dir,
        env: {
          FAKE_LLM_BASE_URL: fake.openaiBaseURL,
          DGT_TELEMETRY_DISABLE: "",
          DGT_TELEMETRY_DIR: telemetry,
          DGT_TELEMETRY_RECORD_PAYLOADS: "1",
          DGT_TELEMETRY_PROGRESS_MS: "200",
        },
      });
      // Watch the page (no reload) while the run goes: what it shows, every 100 ms.
      const seen: { status: string; records: string; inFlight: string; rate: string }[] = [];
      let chartsWhileRunning = false;
      let screenshot = false;
      let finished = false;
      void run.then(() => (finished = true));
      const text = (id: string) =>
        page
          .getByTestId(id)
          .textContent({ timeout: 100 })
          .catch(() => "");
      while (!finished) {
        const status = (await text("status")) ?? "";
        if (status === "running") {
          const inFlight = (await text("in-flight")) ?? "";
          seen.push({
            status,
            records: (await text("records")) ?? "",
            inFlight,
            rate: (await text("request-rate")) ?? "",
          });
          const charts = await page.locator('[data-chart="records-over-time"]').count();
          const requests = await page.locator('[data-chart="requests-over-time"]').count();
          if (charts && requests) chartsWhileRunning = true;
          if (charts && requests && Number(inFlight) > 0 && !screenshot) {
            await page.screenshot({ path: join(SHOTS, "studio-live.png") });
            screenshot = true;
          }
        }
        await page.waitForTimeout(100);
      }
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      await expect.poll(() => page.getByTestId("status").textContent()).toBe("completed");
      const summary = seen.map((x) => `${x.records}/${x.inFlight}/${x.rate}`).join(", ");
      expect(new Set(seen.map((x) => x.records)).size, summary).toBeGreaterThan(1);
      // Requests in flight and a request rate were shown while the run went, as they changed.
      expect(
        seen.some((x) => Number(x.inFlight) > 0),
        summary,
      ).toBe(true);
      expect(
        seen.some((x) => Number(x.rate) > 0),
        summary,
      ).toBe(true);
      expect(chartsWhileRunning, summary).toBe(true);
      // The finished run: its 24 records over time, and each record's prompt from telemetry.
      await expect
        .poll(() => page.locator('[data-chart="records-over-time"]').textContent())
        .toContain("accepted 24");
      await page.getByTestId("tab-records").click();
      await page.getByTestId("file-select").selectOption({ index: 0 });
      await page.getByTestId("row").first().click();
      const view = page.getByTestId("record-view");
      await view.getByTestId("prompt-call").first().waitFor();
      const question = await view.locator(".field .value").nth(2).textContent();
      expect(await view.getByTestId("prompt-answer").first().textContent()).toContain(question);
      expect(await view.getByTestId("prompt-call").first().getByTestId("turn").count()).toBe(1);
      await page.getByTestId("close-record").click();
    } finally {
      await live.close();
      await fake.close();
    }
  });
});
