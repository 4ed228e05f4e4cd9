import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { redactSecrets } from "../util/redact.js";
import { jsonLine } from "./json-line.js";
import { RotatingJsonlWriter } from "./rotating-writer.js";
import type { TelemetrySettings } from "./settings.js";
import { type Attributes, type FinishedSpan, type Span, SpanTracker } from "./telemetry.js";

/** Span attributes that carry prompts or completions; kept only when payloads are recorded. */
export const PAYLOAD_ATTRIBUTES: readonly string[] = [
  "prompt",
  "messages",
  "completion",
  "payload_truncated",
];

/** Identity stamped on every record. */
export interface RunIdentity {
  /** The experiment id (`--build-id`, default "exp"). */
  buildId: string;
  /** One id per `digit run` invocation (a fresh UUID unless given). */
  runId?: string | undefined;
}

/**
 * Telemetry written as JSON lines: lifecycle events to `events.jsonl`, one record per closed span
 * to `traces.jsonl`, both under `settings.dir` and shared by all runs (records carry `build_id`
 * and `run_id`). Spans have ids and parent ids; events carry the id of the span they happened in,
 * so both files join up.
 *
 * @example
 * const telemetry = new JsonlTelemetry(telemetrySettings(), { buildId: "exp" });
 * telemetry.event("run_started", { task_names: ["qa"] });
 * await telemetry.close();
 */
export class JsonlTelemetry extends SpanTracker {
  readonly buildId: string;
  readonly runId: string;
  readonly events: RotatingJsonlWriter;
  readonly traces: RotatingJsonlWriter;
  private readonly listeners: ((event: string, attributes: Attributes) => void)[] = [];
  private readonly spanListeners: ((span: FinishedSpan, attributes: Attributes) => void)[] = [];

  constructor(
    private readonly settings: TelemetrySettings,
    identity: RunIdentity,
  ) {
    super();
    this.buildId = identity.buildId;
    this.runId = identity.runId ?? randomUUID();
    const policy = {
      maxBytes: settings.maxBytes,
      retentionDays: settings.retentionDays,
      maxFiles: settings.maxFiles,
    };
    this.events = new RotatingJsonlWriter(join(settings.dir, "events.jsonl"), policy);
    this.traces = new RotatingJsonlWriter(join(settings.dir, "traces.jsonl"), policy);
  }

  /** Call `fn` for every event (after it is written). */
  onEvent(fn: (event: string, attributes: Attributes) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Call `fn` with every finished span and the attributes `traces.jsonl` records for it (payloads
   * only when recorded, secrets redacted), even when the telemetry files are disabled.
   */
  onSpan(fn: (span: FinishedSpan, attributes: Attributes) => void): void {
    this.spanListeners.push(fn);
  }

  event(name: string, attributes: Attributes = {}, inside?: Span): void {
    const span = inside ?? this.currentSpan();
    const record = {
      timestamp: new Date().toISOString(),
      event: name,
      level: name.endsWith("_errored") ? "error" : "info",
      build_id: this.buildId,
      run_id: this.runId,
      span_id: span?.id ?? null,
      span_name: span?.name ?? null,
      ...attributes,
    };
    if (this.settings.enabled) this.write(this.events, jsonLine(redactSecrets(record)));
    for (const fn of this.listeners) fn(name, attributes);
  }

  protected finished(span: FinishedSpan): void {
    if (!this.settings.enabled && this.spanListeners.length === 0) return;
    const attributes: Attributes = {};
    for (const [k, v] of Object.entries(span.attributes)) {
      if (!this.settings.recordPayloads && PAYLOAD_ATTRIBUTES.includes(k)) continue;
      attributes[k] = v;
    }
    if (this.spanListeners.length) {
      const redacted = redactSecrets(attributes) as Attributes;
      for (const fn of this.spanListeners) fn(span, redacted);
    }
    if (!this.settings.enabled) return;
    const error =
      span.status === "error" && span.error !== undefined ? errorFields(span.error) : {};
    this.write(
      this.traces,
      jsonLine(
        redactSecrets({
          span_name: span.name,
          span_id: span.id,
          parent_span_id: span.parentId ?? null,
          parent_span_name: span.parentName ?? null,
          build_id: this.buildId,
          run_id: this.runId,
          start_time: span.started.toISOString(),
          end_time: span.ended.toISOString(),
          duration_ms: Math.round((span.ended.getTime() - span.started.getTime()) * 100) / 100,
          status: span.status,
          ...error,
          ...attributes,
        }),
      ),
    );
  }

  /** Whether a telemetry file could not be written (then recording stopped). */
  writeFailed = false;

  /**
   * Append a line; a failure (a full disk) stops recording with one warning instead of failing
   * the run: telemetry is a record of the run, not its output.
   */
  private write(writer: RotatingJsonlWriter, line: string): void {
    if (this.writeFailed) return;
    try {
      writer.writeLine(line);
    } catch (e) {
      this.writeFailed = true;
      process.stderr.write(
        `warning: telemetry stopped: could not write to ${this.settings.dir}: ${(e as Error).message}\n`,
      );
    }
  }

  override async close(): Promise<void> {
    this.events.close();
    this.traces.close();
  }
}

function errorFields(e: unknown): Attributes {
  if (e instanceof Error) return { error: e.message, error_type: e.name };
  return { error: String(e), error_type: typeof e };
}
