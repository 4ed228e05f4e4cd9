import { resolve } from "node:path";
import type { RunMetrics } from "../engine/metrics.js";
import { asOutputWriteError } from "../engine/output-errors.js";
import { ConfigError } from "../errors.js";
import { JsonlTelemetry } from "../telemetry/jsonl-telemetry.js";
import { ConsoleLogger, type Logger } from "../telemetry/logger.js";
import type { OtlpSpanExport } from "../telemetry/otlp-export.js";
import type { OtlpMetricExport } from "../telemetry/otlp-metrics.js";
import { checkOtlpEndpoint, metricInterval, otlpWanted } from "../telemetry/otlp-settings.js";
import { loadPrices } from "../telemetry/prices.js";
import { ProgressDisplay, progressMode } from "../telemetry/progress.js";
import { ProgressFile } from "../telemetry/progress-file.js";
import { telemetrySettings } from "../telemetry/settings.js";
import {
  buildSummary,
  formatSummary,
  type RunSummary,
  type TaskEnd,
  writeSummary,
} from "../telemetry/summary.js";
import { TaskLogRouter } from "../telemetry/task-logs.js";
import type { Attributes, FinishedSpan } from "../telemetry/telemetry.js";
import { printable, printableJson } from "../util/printable.js";
import { redactSecrets, redactText } from "../util/redact.js";

/** What `digit run` needs to report a run. */
export interface RunReporting {
  logger: Logger;
  telemetry: JsonlTelemetry;
  /** Stop the live display (before the final messages). */
  stopProgress(): void;
  /** Print the summary table and write `<output_dir>/run_summary.json`. */
  summarize(outcomes: readonly TaskEnd[]): RunSummary;
  /** Flush and close telemetry files and task logs. */
  close(): Promise<void>;
}

/**
 * Set up everything a user sees of a run besides its data: the console logger (text or JSON),
 * the progress display, the telemetry files, each task's `logs.jsonl`, and the summary.
 *
 * @example
 * const reporting = startRunReporting({ cwd, metrics, quiet: false, debug: false, logFormat: "text" });
 */
export function startRunReporting(o: {
  cwd: string;
  metrics: RunMetrics;
  quiet: boolean;
  debug: boolean;
  logFormat: string | undefined;
  buildId: string | undefined;
  outputDir: string | undefined;
  otlpEndpoint?: string | undefined;
}): RunReporting {
  const format = o.logFormat ?? "text";
  if (format !== "text" && format !== "json")
    throw new ConfigError(`--log-format must be 'text' or 'json', not '${format}'`, {
      hint: "use --log-format json for machine-readable lines",
    });
  if (o.otlpEndpoint !== undefined) checkOtlpEndpoint(o.otlpEndpoint);
  const settings = telemetrySettings(process.env, o.cwd);
  const telemetry = new JsonlTelemetry(settings, { buildId: o.buildId ?? "exp" });
  // OpenTelemetry export is off unless asked for (--otlp-endpoint or OTEL_EXPORTER_OTLP_*).
  // Its packages load in the background; spans that end before they have loaded wait for them.
  let otlp: OtlpSpanExport | undefined;
  const waiting: [FinishedSpan, Attributes][] = [];
  const otlpReady = otlpWanted(o.otlpEndpoint, process.env)
    ? import("../telemetry/otlp-export.js").then((m) => {
        const serviceName = process.env.OTEL_SERVICE_NAME?.trim() || "digit";
        otlp = new m.OtlpSpanExport({
          endpoint: o.otlpEndpoint,
          runId: telemetry.runId,
          buildId: telemetry.buildId,
          serviceName,
        });
        for (const [span, attributes] of waiting.splice(0)) otlp.export(span, attributes);
      })
    : undefined;
  if (otlpReady)
    telemetry.onSpan((span, attributes) =>
      otlp ? otlp.export(span, attributes) : waiting.push([span, attributes]),
    );
  // Metrics likewise; they are read from the run's counters, so none are lost while loading.
  let otlpMetrics: OtlpMetricExport | undefined;
  const metricsReady = otlpWanted(o.otlpEndpoint, process.env, "metrics")
    ? import("../telemetry/otlp-metrics.js").then((m) => {
        otlpMetrics = new m.OtlpMetricExport(o.metrics, {
          endpoint: o.otlpEndpoint,
          runId: telemetry.runId,
          buildId: telemetry.buildId,
          serviceName: process.env.OTEL_SERVICE_NAME?.trim() || "digit",
          prices: loadPrices(o.cwd),
          intervalMs: metricInterval(process.env),
        });
      })
    : undefined;
  const logs = new TaskLogRouter({ buildId: telemetry.buildId, runId: telemetry.runId });
  o.metrics.onTaskOpened((t) => logs.open({ task: t.task, builder: t.builder, dir: t.dir }));
  const progress = new ProgressDisplay(o.metrics, {
    mode: progressMode({ quiet: o.quiet, logFormat: format, isTTY: process.stderr.isTTY === true }),
  });
  const level = o.quiet
    ? "warn"
    : o.debug
      ? "debug"
      : ((process.env.LOG_LEVEL?.toLowerCase() as "info" | undefined) ?? "info");
  const logger = new ConsoleLogger(level, {}, [logs.sink], progress.output);
  progress.start();
  // Each task's progress.jsonl (what `digit studio` shows live): with the other telemetry files.
  const progressFile = settings.enabled
    ? new ProgressFile(o.metrics, {
        buildId: telemetry.buildId,
        runId: telemetry.runId,
        prices: loadPrices(o.cwd),
        intervalMs: settings.progressIntervalMs,
        warn: (message) => logger.warn(message),
      })
    : undefined;
  progressFile?.start();
  return {
    logger,
    telemetry,
    stopProgress: () => progress.stop(),
    summarize(outcomes) {
      const summary = buildSummary({
        buildId: telemetry.buildId,
        runId: telemetry.runId,
        startedAt: o.metrics.startedAt,
        tasks: [...o.metrics.tasks.values()],
        outcomes,
        prices: loadPrices(o.cwd),
      });
      const outputDir = resolve(o.cwd, o.outputDir ?? process.env.DGT_OUTPUT_DIR ?? "output");
      let file: string | null = null;
      try {
        file = writeSummary(outputDir, summary);
      } catch (e) {
        // A full disk must not hide the table: print it, and say the file is missing.
        const err = asOutputWriteError(e, [outputDir]);
        logger.warn(
          `could not write ${outputDir}/run_summary.json: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (format === "json")
        process.stdout.write(
          `${printableJson(JSON.stringify(redactSecrets({ msg: "run_summary", file, ...summary })))}\n`,
        );
      else
        process.stdout.write(
          printable(redactText(`\n${formatSummary(summary)}${file ? `summary: ${file}\n` : ""}`)),
        );
      return summary;
    },
    async close() {
      progress.stop();
      progressFile?.stop();
      logs.close();
      await telemetry.close();
      await otlpReady;
      await metricsReady;
      // An unreachable collector is worth a warning, not a failed run: the data is written.
      const failed = (e: unknown) =>
        logger.warn(`OpenTelemetry export failed: ${e instanceof Error ? e.message : String(e)}`);
      await otlp?.shutdown().catch(failed);
      await otlpMetrics?.shutdown().catch(failed);
    },
  };
}
