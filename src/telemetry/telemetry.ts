import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** Attributes of an event or span: JSON-serialisable values. */
export type Attributes = Record<string, unknown>;

/** An open span. `end()` writes it to `traces.jsonl` (once). */
export interface Span {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | undefined;
  set(attributes: Attributes): void;
  end(status?: SpanStatus, error?: unknown): void;
}

export type SpanStatus = "ok" | "error" | "cancelled";

/**
 * Where lifecycle events and spans go. The engine hands one to every builder and block; the
 * default writes nothing. Spans nest through async context: a span started inside `withSpan`
 * gets the enclosing span as its parent.
 *
 * @example
 * await telemetry.withSpan("dgt.block", { block_name: "dedup" }, async (span) => {
 *   span.set({ output_count: 3 });
 * });
 */
export interface Telemetry {
  event(name: string, attributes?: Attributes): void;
  startSpan(name: string, attributes?: Attributes, parent?: Span): Span;
  withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T>;
  /** The span enclosing the current async context, if any. */
  currentSpan(): Span | undefined;
  /** Run `fn` with `span` as the enclosing span (for spans started and ended by hand). */
  within<T>(span: Span, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const context = new AsyncLocalStorage<Span>();

/** Base that tracks span nesting; subclasses decide where finished spans and events go. */
export abstract class SpanTracker implements Telemetry {
  abstract event(name: string, attributes?: Attributes): void;
  protected abstract finished(span: FinishedSpan): void;

  startSpan(name: string, attributes: Attributes = {}, parent?: Span): Span {
    const parentSpan = parent ?? context.getStore();
    const started = new Date();
    const attrs: Attributes = { ...attributes };
    let done = false;
    const span: Span = {
      id: randomUUID(),
      name,
      parentId: parentSpan?.id,
      set: (a) => Object.assign(attrs, a),
      end: (status = "ok", error) => {
        if (done) return;
        done = true;
        this.finished({ id: span.id, name, parentId: parentSpan?.id, parentName: parentSpan?.name, started, ended: new Date(), status, error, attributes: attrs });
      },
    };
    return span;
  }

  async withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
    const span = this.startSpan(name, attributes);
    try {
      const result = await context.run(span, () => fn(span));
      span.end("ok");
      return result;
    } catch (e) {
      span.end(isCancellation(e) ? "cancelled" : "error", e);
      throw e;
    }
  }

  currentSpan(): Span | undefined {
    return context.getStore();
  }

  within<T>(span: Span, fn: () => Promise<T>): Promise<T> {
    return context.run(span, fn);
  }

  async close(): Promise<void> {}
}

/** A span as it is handed to the sink when it ends. */
export interface FinishedSpan {
  id: string;
  name: string;
  parentId: string | undefined;
  parentName: string | undefined;
  started: Date;
  ended: Date;
  status: SpanStatus;
  error: unknown;
  attributes: Attributes;
}

/** Telemetry that keeps span nesting (so code can read `currentSpan()`) but records nothing. */
export class NoTelemetry extends SpanTracker {
  event(): void {}
  protected finished(): void {}
}

/** True for the error a cancelled run throws (Ctrl-C, SIGTERM). */
export function isCancellation(e: unknown): boolean {
  return e instanceof Error && (e.name === "AbortError" || e.name === "RunCancelledError");
}
