import type { BlockContext } from "../../src/blocks/block.js";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import type { LogFields, Logger } from "../../src/telemetry/logger.js";
import type { LlmCallReport, RunObserver } from "../../src/telemetry/observer.js";
import { type Attributes, type FinishedSpan, SpanTracker } from "../../src/telemetry/telemetry.js";

/** Telemetry that keeps every finished span and event in memory. */
export class RecordingTelemetry extends SpanTracker {
  readonly spans: FinishedSpan[] = [];
  readonly events: { name: string; attributes: Attributes | undefined }[] = [];
  event(name: string, attributes?: Attributes): void {
    this.events.push({ name, attributes });
  }
  protected finished(span: FinishedSpan): void {
    this.spans.push(span);
  }
  /** Everything recorded, as JSON text (to grep for secrets). */
  dump(): string {
    return JSON.stringify({
      spans: this.spans.map((s) => ({
        ...s,
        error: s.error instanceof Error ? s.error.message : s.error,
      })),
      events: this.events,
    });
  }
}

/** A logger that keeps every record. */
export class RecordingLogger implements Logger {
  constructor(
    readonly records: { level: string; message: string; fields: LogFields }[] = [],
    private readonly bindings: LogFields = {},
  ) {}
  private add(level: string, message: string, fields: LogFields = {}) {
    this.records.push({ level, message, fields: { ...this.bindings, ...fields } });
  }
  debug(m: string, f?: LogFields) {
    this.add("debug", m, f);
  }
  info(m: string, f?: LogFields) {
    this.add("info", m, f);
  }
  warn(m: string, f?: LogFields) {
    this.add("warn", m, f);
  }
  error(m: string, f?: LogFields) {
    this.add("error", m, f);
  }
  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.records, { ...this.bindings, ...bindings });
  }
  warnings(): string[] {
    return this.records.filter((r) => r.level === "warn").map((r) => r.message);
  }
}

/** An observer that keeps every report and tracks in-flight requests. */
export class RecordingObserver implements RunObserver {
  readonly calls: LlmCallReport[] = [];
  inFlight = 0;
  peak = 0;
  requestStarted(): void {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
  }
  requestFinished(): void {
    this.inFlight--;
  }
  llmCall(report: LlmCallReport): void {
    this.calls.push(report);
  }
}

/** A block context that records everything; also clears the process-wide credential pool. */
export function recordingContext(): BlockContext & {
  telemetry: RecordingTelemetry;
  logger: RecordingLogger;
  observer: RecordingObserver;
} {
  credentialPool().clear();
  return {
    telemetry: new RecordingTelemetry(),
    logger: new RecordingLogger(),
    observer: new RecordingObserver(),
    builderName: "test",
  };
}

/**
 * Fast retry settings for tests, and no response cache: these tests count and fail the requests
 * the transport sends, often the same request twice (test/cache covers the cache).
 */
export const FAST = { retry_backoff: 0.01, max_retries: 3, timeout: 2, cache: false } as const;
