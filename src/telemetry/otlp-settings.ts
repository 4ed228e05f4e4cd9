import { UsageError } from "../errors.js";

// Kept apart from otlp-export.ts so that a run without OpenTelemetry export loads none of its packages.

/**
 * True when spans should be exported: `--otlp-endpoint` was given, or the standard OpenTelemetry
 * endpoint variables are set. Off by default.
 *
 * @example
 * if (otlpWanted(opts.otlpEndpoint, process.env)) ...
 */
export function otlpWanted(endpoint: string | undefined, env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    endpoint ||
      env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() ||
      env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim(),
  );
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
