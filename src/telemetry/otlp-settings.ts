import { UsageError } from "../errors.js";

// Kept apart from otlp-export.ts so that a run without OpenTelemetry export loads none of its packages.

/**
 * True when spans (or metrics) should be exported: `--otlp-endpoint` was given, or the standard
 * OpenTelemetry endpoint variables are set (`OTEL_EXPORTER_OTLP_ENDPOINT` for both,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `..._METRICS_ENDPOINT` for one). Off by default.
 *
 * @example
 * if (otlpWanted(opts.otlpEndpoint, process.env)) ...
 * if (otlpWanted(opts.otlpEndpoint, process.env, "metrics")) ...
 */
export function otlpWanted(
  endpoint: string | undefined,
  env: NodeJS.ProcessEnv,
  signal: "traces" | "metrics" = "traces",
): boolean {
  const own =
    signal === "traces"
      ? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      : env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  return Boolean(endpoint || own?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/**
 * How often metrics are sent while a run goes: `OTEL_METRIC_EXPORT_INTERVAL` (ms), else 10 s
 * (shorter than OpenTelemetry's 60 s default: a generation run is watched as it goes).
 *
 * @example
 * metricInterval({ OTEL_METRIC_EXPORT_INTERVAL: "5000" }) // 5000
 */
export function metricInterval(env: NodeJS.ProcessEnv): number {
  const n = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
  return env.OTEL_METRIC_EXPORT_INTERVAL?.trim() && Number.isFinite(n) && n > 0 ? n : 10_000;
}

/**
 * Check an `--otlp-endpoint` value: an http(s) URL. Called before any output is touched.
 *
 * @example
 * checkOtlpEndpoint("http://127.0.0.1:4318") // ok
 * checkOtlpEndpoint("127.0.0.1:4318") // throws UsageError
 */
export function checkOtlpEndpoint(endpoint: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || !["http:", "https:"].includes(url.protocol)) {
    throw new UsageError(`--otlp-endpoint '${endpoint}' is not an http(s) URL`, {
      hint: "give the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318",
    });
  }
}
