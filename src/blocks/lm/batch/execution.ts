/**
 * Batch execution of one LLM block: which requests go by batch (`execution: batch`, or with
 * `auto` all but the first few), and each such request's way through the block's batch submitter,
 * with retries of requests a batch failed, and the same reports as an online request.
 */
import { createHash } from "node:crypto";
import { BatchUnsupportedError } from "../../../errors.js";
import type { Logger } from "../../../telemetry/logger.js";
import type { RunObserver } from "../../../telemetry/observer.js";
import type { Span, Telemetry } from "../../../telemetry/telemetry.js";
import type { Row } from "../../../util/mapping.js";
import { paramsKey } from "../batch.js";
import { AdaptiveLimiter } from "../limiter.js";
import type { LMMethod, LMRequest, LMResponse } from "../provider.js";
import type { Failure, FailureKind } from "../retry.js";
import { dropUsage, usageProblem } from "../usage.js";
import type { BatchApi } from "./api.js";
import type { BatchOptions, Execution } from "./config.js";
import type { BatchJournalStore } from "./journal-store.js";
import { BatchSubmitter } from "./submitter.js";

/** A request as the batch path sees it (no per-request signal: a batch has no per-request deadline). */
export type BatchRequest = Omit<LMRequest, "signal">;

/** What batch execution needs of its provider. */
export interface BatchHost {
  readonly name: string;
  readonly type: string;
  readonly modelId: string;
  /** The endpoint's base URL (journal, request hashes). */
  batchEndpoint(): string;
  /** The provider's batch API for a method; undefined when it has none. */
  batchApi(method: LMMethod): BatchApi | undefined;
  /** The body the online endpoint would get for this request. */
  batchBody(request: BatchRequest): Record<string, unknown>;
  /** The answer a batch gave for a request, read like an online answer (throws on a malformed one). */
  batchAnswer(body: unknown, request: BatchRequest): LMResponse;
}

/** How one request sent by batch ended: an answer, a failure, or "send it online instead". */
export type BatchOutcome = { response: LMResponse } | { failure: Failure } | { online: true };

/**
 * The batch side of one block.
 *
 * @example
 * const exec = new BatchExecution(provider, "batch", options, journal, { logger });
 * if (exec.takes()) outcome = await exec.send("chat_completion", request, signal);
 */
export class BatchExecution {
  /**
   * Holds a slot per request waiting for its batch. Its limit is the batch size, so the engine
   * keeps starting builder calls until a batch is full rather than stopping at the online limit.
   */
  readonly limiter: AdaptiveLimiter;
  private readonly submitters = new Map<LMMethod, BatchSubmitter | undefined>();
  private onlineSent = 0;
  private unsupported = false;

  constructor(
    private readonly host: BatchHost,
    readonly mode: Exclude<Execution, "online">,
    readonly options: BatchOptions,
    private readonly journal: BatchJournalStore,
    private readonly deps: {
      logger: Logger;
      observer?: RunObserver | undefined;
      telemetry?: Telemetry | undefined;
      maxRetries: number;
    },
  ) {
    this.limiter = new AdaptiveLimiter(options.max_requests ?? DEFAULT_BATCH_FILL, {
      adaptive: false,
    });
  }

  /** Whether the next request goes by batch: always with `batch`; with `auto` after the first `online_first`. */
  takes(): boolean {
    if (this.mode === "batch") return true;
    if (this.unsupported) return false;
    if (this.onlineSent < this.options.online_first) {
      this.onlineSent++;
      return false;
    }
    return true;
  }

  /** The submitters in use (counters for tests and summaries). */
  activeSubmitters(): BatchSubmitter[] {
    return [...this.submitters.values()].filter((s): s is BatchSubmitter => s !== undefined);
  }

  private submitter(method: LMMethod): BatchSubmitter | undefined {
    if (!this.submitters.has(method)) {
      const api = this.host.batchApi(method);
      this.submitters.set(
        method,
        api &&
          new BatchSubmitter({
            api,
            journal: this.journal,
            endpoint: this.host.batchEndpoint(),
            model: this.host.modelId,
            block: this.host.name,
            windowMs: this.options.window * 1000,
            pollMs: this.options.poll_interval * 1000,
            maxPollMs: this.options.max_poll_interval * 1000,
            maxRequests: this.options.max_requests,
            logger: this.deps.logger,
          }),
      );
    }
    return this.submitters.get(method);
  }

  /**
   * Send one request by batch and wait for its answer. A request the batch failed is retried in a
   * later batch (or handed back to go online, with `retry_errors: online`) up to `max_retries`.
   */
  async send(
    method: LMMethod,
    request: BatchRequest,
    runSignal: AbortSignal,
    parent?: Span,
  ): Promise<BatchOutcome> {
    const submitter = this.submitter(method);
    if (!submitter)
      return this.noBatchApi(
        new BatchUnsupportedError(
          `block '${this.host.name}' (type ${this.host.type}) has no batch API for ${method}`,
        ),
      );
    const body = this.host.batchBody(request);
    const customId = submitter.customId(
      requestHash(this.host.type, this.host.batchEndpoint(), body),
    );
    const started = performance.now();
    const attemptErrors: Partial<Record<string, number>> = {};
    const span = this.deps.telemetry?.startSpan(
      "dgt.llm_call",
      {
        provider: this.host.type,
        model_id: this.host.modelId,
        method,
        execution: "batch",
        custom_id: customId,
      },
      parent,
    );
    const slot = await this.limiter.acquire();
    let outcome: BatchOutcome | undefined;
    let retries = 0;
    try {
      for (let attempt = 0; ; attempt++) {
        let failure: Failure;
        const result = await submitter.request(
          { customId, body },
          { fresh: attempt > 0, signal: runSignal },
        );
        if (result.ok) {
          try {
            const response = this.host.batchAnswer(result.body, request);
            if (usageProblem([response]) !== undefined) dropUsage([response]);
            outcome = { response };
            break;
          } catch (e) {
            failure = {
              kind: "parse",
              retryable: true,
              message: `malformed answer in the batch: ${(e as Error).message}`,
            };
          }
        } else {
          failure = {
            kind: asFailureKind(result.kind),
            retryable: result.retryable,
            message: result.message,
          };
        }
        attemptErrors[result.ok ? "parse" : result.kind] =
          (attemptErrors[result.ok ? "parse" : result.kind] ?? 0) + 1;
        if (!failure.retryable || attempt >= this.deps.maxRetries) {
          outcome = { failure };
          break;
        }
        retries++;
        if (this.options.retry_errors === "online") {
          outcome = { online: true };
          break;
        }
      }
    } catch (e) {
      slot.release("error");
      span?.end(runSignal.aborted ? "cancelled" : "error", e);
      if (e instanceof BatchUnsupportedError) return this.noBatchApi(e);
      throw e;
    }
    slot.release("ok");
    const response = "response" in outcome ? outcome.response : undefined;
    const usage = {
      prompt_tokens: response?.prompt_tokens ?? 0,
      completion_tokens: response?.completion_tokens ?? 0,
    };
    span?.set({ ...usage, retries, status: response ? "ok" : "error" });
    span?.end(response || "online" in outcome ? "ok" : "error");
    if ("online" in outcome) return outcome;
    const taskName = typeof request.row.task_name === "string" ? [request.row.task_name] : [];
    this.deps.observer?.llmCall?.({
      block: this.host.name,
      provider: this.host.type,
      model: this.host.modelId,
      task_names: taskName,
      ...usage,
      ok: !!response,
      error_kind: "failure" in outcome ? outcome.failure.kind : undefined,
      retries,
      attempt_errors: attemptErrors as Record<string, number>,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
      semaphore_wait_ms: 0,
      execution: "batch",
    });
    return outcome;
  }

  /** No batch API: an error with `execution: batch`; with `auto`, online from now on. */
  private noBatchApi(error: BatchUnsupportedError): BatchOutcome {
    if (this.mode === "batch") throw error;
    if (!this.unsupported)
      this.deps.logger.warn(`${error.message}; execution: auto sends its requests online`);
    this.unsupported = true;
    return { online: true };
  }
}

/** Requests a batch-mode block lets the engine queue before its first batch is full, by default. */
const DEFAULT_BATCH_FILL = 10_000;

const KINDS: readonly FailureKind[] = [
  "429",
  "5xx",
  "timeout",
  "connection",
  "parse",
  "4xx",
  "other",
];

/** A batch error's kind as a failure kind (batch-only kinds such as `expired` count as `other`). */
function asFailureKind(kind: string): FailureKind {
  return (KINDS as readonly string[]).includes(kind) ? (kind as FailureKind) : "other";
}

/**
 * A short stable hash of a request (provider, endpoint and body, whatever the key order): the
 * stem of its `custom_id`, equal for equal requests in every run.
 *
 * @example
 * requestHash("openai", "http://127.0.0.1:8000/v1", { model: "m", messages }) // "9c1f…" (40 hex)
 */
export function requestHash(provider: string, endpoint: string, body: Row): string {
  return createHash("sha256")
    .update(provider)
    .update("\u0000")
    .update(endpoint)
    .update("\u0000")
    .update(paramsKey(body))
    .digest("hex")
    .slice(0, 40);
}
