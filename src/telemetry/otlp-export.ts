import {
  type AttributeValue,
  type Attributes as OtelAttributes,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
} from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { Attributes, FinishedSpan } from "./telemetry.js";

/** Where and as what digit's spans are sent over OTLP/HTTP. */
export interface OtlpExportOptions {
  /**
   * The collector's base URL (`http://host:4318`); spans go to `<endpoint>/v1/traces`. Without it
   * the exporter reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` (and
   * `OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT`) itself.
   */
  endpoint?: string | undefined;
  /** The run: its id becomes the trace id, so one `digit run` is one trace. */
  runId: string;
  buildId: string;
  /** `service.name` of the resource (`OTEL_SERVICE_NAME`, default "digit"). */
  serviceName: string;
}

/** 32 hex digits from a UUID (the run id), 16 from a span's UUID: OpenTelemetry's id sizes. */
const hex = (uuid: string, digits: number): string =>
  uuid.replace(/-/g, "").toLowerCase().padEnd(32, "0").slice(0, digits);

function hrTime(d: Date): [number, number] {
  const ms = d.getTime();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

/** OpenTelemetry attribute values are primitives or lists of them; anything else goes as JSON. */
function otelAttributes(attributes: Attributes): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [k, v] of Object.entries(attributes)) {
    if (v === undefined || v === null) continue;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "string"))
      out[k] = v as AttributeValue;
    else if (Array.isArray(v) && v.every((x) => typeof x === "number"))
      out[k] = v as AttributeValue;
    else out[k] = JSON.stringify(v);
  }
  return out;
}

/**
 * Sends digit's finished spans over OTLP/HTTP through the official OpenTelemetry exporter, in
 * batches, with the same tree as `traces.jsonl`: one trace per run (trace id from the run id),
 * each span's id and parent id from its digit ids, its attributes as written to `traces.jsonl`.
 * An unreachable collector costs warnings from the exporter, never the run.
 *
 * @example
 * const otlp = new OtlpSpanExport({ endpoint: "http://127.0.0.1:4318", runId, buildId: "exp", serviceName: "digit" });
 * telemetry.onSpan((span, attributes) => otlp.export(span, attributes));
 * await otlp.shutdown();
 */
export class OtlpSpanExport {
  private readonly processor: BatchSpanProcessor;
  private readonly traceId: string;
  private readonly resource;

  constructor(private readonly options: OtlpExportOptions) {
    const url = options.endpoint ? `${options.endpoint.replace(/\/+$/, "")}/v1/traces` : undefined;
    this.processor = new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {}), {
      scheduledDelayMillis: 1000,
    });
    this.traceId = hex(options.runId, 32);
    this.resource = resourceFromAttributes({
      "service.name": options.serviceName,
      "digit.build_id": options.buildId,
      "digit.run_id": options.runId,
    });
  }

  /** Queue one finished span (with the attributes `traces.jsonl` got) for export. */
  export(span: FinishedSpan, attributes: Attributes): void {
    const traceId = this.traceId;
    const spanId = hex(span.id, 16);
    const error =
      span.status === "error"
        ? span.error instanceof Error
          ? span.error.message
          : String(span.error ?? "error")
        : undefined;
    const start = hrTime(span.started);
    const end = hrTime(span.ended);
    const ms = Math.max(0, span.ended.getTime() - span.started.getTime());
    const readable: ReadableSpan = {
      name: span.name,
      kind: SpanKind.INTERNAL,
      spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
      parentSpanContext: span.parentId
        ? { traceId, spanId: hex(span.parentId, 16), traceFlags: TraceFlags.SAMPLED }
        : undefined,
      startTime: start,
      endTime: end,
      status:
        span.status === "ok"
          ? { code: SpanStatusCode.OK }
          : span.status === "error"
            ? { code: SpanStatusCode.ERROR, message: error }
            : { code: SpanStatusCode.UNSET },
      attributes: otelAttributes({
        build_id: this.options.buildId,
        run_id: this.options.runId,
        status: span.status,
        ...(error ? { error } : {}),
        ...attributes,
      }),
      links: [],
      events: [],
      duration: [Math.floor(ms / 1000), (ms % 1000) * 1e6],
      ended: true,
      resource: this.resource,
      instrumentationScope: { name: "digit" },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
    this.processor.onEnd(readable);
  }

  /** Send what is queued and stop. */
  async shutdown(): Promise<void> {
    await this.processor.shutdown();
  }
}
