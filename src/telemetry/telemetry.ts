import { randomUUID } from "node:crypto";

/** Attributes of an event or span: JSON-serialisable values. */
export type Attributes = Record<string, unknown>;

/**
 * An open span. `end()` writes it to `traces.jsonl` (once).
 *
 * @example
 * async validateBatch(items: BlockItem[], options: Row = {}, span?: Span) {
 *   const judged = await this.judge.call(items, {}, span); // the judge's spans nest under ours
 * }
 */
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
 * default writes nothing. Spans nest explicitly: a span's parent is the one passed in, else the
 * span this telemetry is scoped to (`scoped`, e.g. a builder group's `dgt.run`). There is no
 * implicit async context: Node 20's AsyncLocalStorage hooks every promise, a cost every run would
 * pay (docs/architecture.md, "Telemetry design").
 *
 * @example
 * const inRun = telemetry.scoped(runSpan);
 * await inRun.withSpan("dgt.block", { block_name: "dedup" }, async (span) => {
 *   inRun.startSpan("dgt.llm_call", {}, span).end("ok");
 * });
 */
export interface Telemetry {
  /** Record an event, inside `span` (default: the span this telemetry is scoped to). */
  event(name: string, attributes?: Attributes, span?: Span): void;
  /** Open a span under `parent` (default: the span this telemetry is scoped to). */
  startSpan(name: string, attributes?: Attributes, parent?: Span): Span;
  /** Run `fn` with a new span under `parent` (default: the scope), ending it with fn's outcome. */
  withSpan<T>(
    name: string,
    attributes: Attributes,
    fn: (span: Span) => Promise<T>,
    parent?: Span,
  ): Promise<T>;
  /** The span new spans and events nest under by default, if any. */
  currentSpan(): Span | undefined;
  /** The same telemetry, nesting new spans and events under `span` by default. */
  scoped(span: Span | undefined): ScopedTelemetry;
  close(): Promise<void>;
}

/** A telemetry view with a default parent span that can be set once it exists. */
export interface ScopedTelemetry extends Telemetry {
  scope: Span | undefined;
}

/** Base that tracks span nesting; subclasses decide where finished spans and events go. */
export abstract class SpanTracker implements ScopedTelemetry {
  /** The span new spans and events nest under by default (set on views made by `scoped`). */
  scope: Span | undefined = undefined;

  abstract event(name: string, attributes?: Attributes, span?: Span): void;
  protected abstract finished(span: FinishedSpan): void;

  startSpan(name: string, attributes: Attributes = {}, parent?: Span): Span {
    const parentSpan = parent ?? this.scope;
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
        this.finished({
          id: span.id,
          name,
          parentId: parentSpan?.id,
          parentName: parentSpan?.name,
          started,
          ended: new Date(),
          status,
          error,
          attributes: attrs,
        });
      },
    };
    return span;
  }

  async withSpan<T>(
    name: string,
    attributes: Attributes,
    fn: (span: Span) => Promise<T>,
    parent?: Span,
  ): Promise<T> {
    const span = this.startSpan(name, attributes, parent);
    try {
      const result = await fn(span);
      span.end("ok");
      return result;
    } catch (e) {
      span.end(isCancellation(e) ? "cancelled" : "error", e);
      throw e;
    }
  }

  currentSpan(): Span | undefined {
    return this.scope;
  }

  /** A view sharing this telemetry's files and state (it inherits from it) with its own scope. */
  scoped(span: Span | undefined): ScopedTelemetry {
    const view = Object.create(this) as this;
    view.scope = span;
    return view;
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
