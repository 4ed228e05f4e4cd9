import type { ObservableResult } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  type InstrumentType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { LlmCallReport } from "./observer.js";
import type { PriceTable } from "./prices.js";
import type { ProgressSource } from "./progress.js";
import { splitCost } from "./summary.js";

/** Where digit's counters come from: the run's task figures and its finished requests. */
export interface MetricSource extends ProgressSource {
  /** Call `fn` with every finished LLM request. */
  onLlmCall(fn: (report: LlmCallReport) => void): void;
}

/** Where and as what digit's metrics are sent over OTLP/HTTP. */
export interface OtlpMetricOptions {
  /**
   * The collector's base URL; metrics go to `<endpoint>/v1/metrics`. Without it the exporter
   * reads `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` itself.
   */
  endpoint?: string | undefined;
  runId: string;
  buildId: string;
  serviceName: string;
  prices: PriceTable;
  /** How often metrics are sent while the run goes (ms); the last values go at `shutdown()`. */
  intervalMs: number;
}

/** Request latency buckets (ms), as the studio's latency chart has them. */
const LATENCY_BOUNDS_MS = [100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];

/**
 * The OTLP exporter, keeping the last export's failure: the SDK's reader only hands failures to
 * OpenTelemetry's diagnostic logger (silent unless set up), and a run should say its metrics did
 * not arrive.
 */
class FailureKeepingExporter implements PushMetricExporter {
  lastError: Error | undefined;

  constructor(private readonly inner: OTLPMetricExporter) {}

  export(metrics: ResourceMetrics, done: Parameters<PushMetricExporter["export"]>[1]): void {
    this.inner.export(metrics, (result) => {
      this.lastError =
        result.error ?? (result.code === 0 ? undefined : new Error("metrics export failed"));
      done(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  selectAggregationTemporality(type: InstrumentType) {
    return this.inner.selectAggregationTemporality(type);
  }

  selectAggregation(type: InstrumentType) {
    return this.inner.selectAggregation(type);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Sends digit's metrics over OTLP/HTTP through the official OpenTelemetry metrics SDK and
 * exporter, every `intervalMs` and once more at `shutdown()`: per task, requests (by status),
 * tokens (by model and direction), estimated cost, records accepted and rejected (by block),
 * cache lookups (hit or miss) and requests in flight, as cumulative counters read from the run's
 * figures when the reader collects, and failed attempts by kind; and a histogram of request latency (by provider, model and
 * status). The resource is the one the spans have (service name, build id, run id).
 *
 * @example
 * const m = new OtlpMetricExport(metrics, { endpoint: "http://127.0.0.1:4318", runId, buildId: "exp", serviceName: "digit", prices, intervalMs: 10_000 });
 * await run(options);
 * await m.shutdown();
 */
export class OtlpMetricExport {
  private readonly provider: MeterProvider;
  private readonly exporter: FailureKeepingExporter;

  constructor(source: MetricSource, options: OtlpMetricOptions) {
    const url = options.endpoint ? `${options.endpoint.replace(/\/+$/, "")}/v1/metrics` : undefined;
    this.exporter = new FailureKeepingExporter(new OTLPMetricExporter(url ? { url } : {}));
    const reader = new PeriodicExportingMetricReader({
      exporter: this.exporter,
      exportIntervalMillis: options.intervalMs,
      exportTimeoutMillis: Math.min(options.intervalMs, 30_000),
    });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({
        "service.name": options.serviceName,
        "digit.build_id": options.buildId,
        "digit.run_id": options.runId,
      }),
      readers: [reader],
    });
    const meter = this.provider.getMeter("digit");
    const tasks = () => [...source.tasks.values()].filter((m) => m.task !== "(no task)");

    const requests = meter.createObservableCounter("digit.requests", {
      description: "LLM requests finished (after retries), by task and status",
      unit: "{request}",
    });
    const failures = meter.createObservableCounter("digit.request.failures", {
      description:
        "Failed request attempts, retried or not, by task and kind (429, 5xx, timeout...)",
      unit: "{attempt}",
    });
    const tokens = meter.createObservableCounter("digit.tokens", {
      description: "Tokens sent (input) and received (output), by task and model",
      unit: "{token}",
    });
    const cost = meter.createObservableCounter("digit.cost", {
      description: "Estimated cost of the tokens (digit's price table), by task",
      unit: "USD",
    });
    const accepted = meter.createObservableCounter("digit.records.accepted", {
      description: "Records accepted, by task",
      unit: "{record}",
    });
    const rejected = meter.createObservableCounter("digit.records.rejected", {
      description: "Rows removed by validators and dedup, by task and block",
      unit: "{record}",
    });
    const cache = meter.createObservableCounter("digit.cache.lookups", {
      description: "Response cache lookups, by task and result (hit: nothing was sent)",
      unit: "{lookup}",
    });
    const inFlight = meter.createObservableUpDownCounter("digit.requests.in_flight", {
      description: "LLM requests in flight, by task",
      unit: "{request}",
    });
    const latency = meter.createHistogram("digit.request.duration", {
      description: "LLM request latency, retries included, by provider, model and status",
      unit: "ms",
      advice: { explicitBucketBoundaries: LATENCY_BOUNDS_MS },
    });

    requests.addCallback((r: ObservableResult) => {
      for (const m of tasks()) {
        r.observe(m.requests - m.failedRequests, { task: m.task, status: "ok" });
        r.observe(m.failedRequests, { task: m.task, status: "failed" });
      }
    });
    failures.addCallback((r) => {
      for (const m of tasks())
        for (const [kind, n] of Object.entries(m.failures)) r.observe(n, { task: m.task, kind });
    });
    tokens.addCallback((r) => {
      for (const m of tasks())
        for (const [model, t] of Object.entries(m.tokensByModel)) {
          const at = { task: m.task, provider: t.provider, model };
          r.observe(t.prompt, { ...at, direction: "input" });
          r.observe(t.completion, { ...at, direction: "output" });
        }
    });
    cost.addCallback((r) => {
      for (const m of tasks()) {
        const { online, batch } = splitCost(options.prices, m.tokensByModel);
        // A task with an unpriced model has no cost figure (as in run_summary.json).
        if (online !== null && batch !== null) r.observe(online + batch, { task: m.task });
      }
    });
    accepted.addCallback((r) => {
      for (const m of tasks()) r.observe(m.accepted, { task: m.task });
    });
    rejected.addCallback((r) => {
      for (const m of tasks())
        for (const [block, n] of Object.entries(m.rejected)) r.observe(n, { task: m.task, block });
    });
    cache.addCallback((r) => {
      for (const m of tasks()) {
        r.observe(m.cacheHits, { task: m.task, result: "hit" });
        r.observe(m.cacheMisses, { task: m.task, result: "miss" });
      }
    });
    inFlight.addCallback((r) => {
      for (const m of tasks()) r.observe(source.rates(m.task).inFlight, { task: m.task });
    });
    source.onLlmCall((call) =>
      latency.record(call.latency_ms, {
        provider: call.provider,
        model: call.model,
        status: call.ok ? "ok" : "failed",
        retried: call.retries > 0,
      }),
    );
  }

  /** Send the last values and stop; rejects when that last export failed. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
    if (this.exporter.lastError) throw this.exporter.lastError;
  }
}
