import type Anthropic from "@anthropic-ai/sdk";
import type {
  BatchApi,
  BatchIntent,
  BatchLine,
  BatchResults,
  BatchState,
  LineResult,
} from "../batch/api.js";
import { type ListedBatch, reconcile } from "../batch/reconcile.js";
import { parseResultLines } from "../batch/result-lines.js";

/** Anthropic's batch limits: 100,000 requests and 256 MB per batch. */
const LIMITS = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 };

/**
 * Anthropic's Message Batches through the official SDK: the requests go in the create call, and
 * the results (one JSONL line per request: succeeded, errored, canceled or expired) are read from
 * the batch's `results_url` when it has ended. Anthropic batches carry no metadata, so a batch
 * whose id was never journaled (a kill in the instant after creating it) is found again by
 * listing the account's recent batches and matching the journaled intent: creation time, request
 * count, and (once it has ended) its `custom_id`s (batch/reconcile.ts).
 *
 * @example
 * const api = new AnthropicBatchApi(client);
 * const id = await api.submit([{ customId: "a-0", body: { model, max_tokens: 256, messages } }], { local: "dgb_1" });
 */
export class AnthropicBatchApi implements BatchApi {
  readonly provider = "anthropic";
  readonly limits = LIMITS;

  constructor(private readonly client: Anthropic) {}

  lineBytes(line: BatchLine): number {
    return Buffer.byteLength(JSON.stringify({ custom_id: line.customId, params: line.body })) + 1;
  }

  async submit(lines: BatchLine[]): Promise<string> {
    const requests = lines.map((l) => ({
      custom_id: l.customId,
      params: l.body as unknown as Anthropic.Messages.MessageCreateParamsNonStreaming,
    }));
    return (await this.client.messages.batches.create({ requests })).id;
  }

  async retrieve(batchId: string): Promise<BatchState> {
    const b = await this.client.messages.batches.retrieve(batchId);
    const c = b.request_counts;
    const total = c.processing + c.succeeded + c.errored + c.canceled + c.expired;
    // An ended batch is "cancelled" only if a cancel ended it before every request was answered.
    const ended =
      b.processing_status !== "ended"
        ? undefined
        : b.cancel_initiated_at && c.canceled > 0
          ? "cancelled"
          : c.expired > 0
            ? "expired"
            : "completed";
    return { status: b.processing_status, ended, done: total - c.processing, total };
  }

  async results(batchId: string): Promise<BatchResults> {
    const b = await this.client.messages.batches.retrieve(batchId);
    if (!b.results_url) return { lines: new Map(), malformed: 0 };
    // The raw JSONL (not the SDK's decoder), so a malformed line is counted rather than fatal.
    const res = await this.client
      .get(b.results_url, { headers: { Accept: "application/binary" }, __binaryResponse: true })
      .asResponse();
    return parseResultLines(await res.text(), anthropicLine);
  }

  async cancel(batchId: string): Promise<void> {
    await this.client.messages.batches.cancel(batchId);
  }

  findSubmitted(
    intent: BatchIntent,
    known: ReadonlySet<string>,
  ): Promise<{ batchId: string; provisional: boolean } | undefined> {
    return reconcile(intent, known, this.listRecent(), (id) => this.results(id));
  }

  /** The account's batches, newest first (the API's order), as the reconciliation reads them. */
  private async *listRecent(): AsyncIterable<ListedBatch> {
    for await (const b of this.client.messages.batches.list({ limit: 100 })) {
      const c = b.request_counts;
      yield {
        id: b.id,
        createdAt: Date.parse(b.created_at),
        total: c.processing + c.succeeded + c.errored + c.canceled + c.expired,
        ended: b.processing_status === "ended",
      };
    }
  }
}

/** One result line: `{custom_id, result: {type, message | error}}`. */
function anthropicLine(v: Record<string, unknown>): LineResult | undefined {
  const result = v.result as
    | {
        type?: unknown;
        message?: unknown;
        error?: { error?: { type?: unknown; message?: unknown } };
      }
    | undefined;
  if (!result || typeof result.type !== "string") return undefined;
  if (result.type === "succeeded")
    return result.message && typeof result.message === "object"
      ? { ok: true, body: result.message }
      : undefined;
  if (result.type === "errored") {
    const type = String(result.error?.error?.type ?? "api_error");
    const retryable =
      type === "api_error" || type === "overloaded_error" || type === "rate_limit_error";
    return {
      ok: false,
      kind: type === "rate_limit_error" ? "429" : retryable ? "5xx" : "4xx",
      message: `${type}: ${String(result.error?.error?.message ?? "")}`,
      retryable,
    };
  }
  if (result.type === "expired")
    return {
      ok: false,
      kind: "expired",
      message: "the batch expired before this request was answered",
      retryable: true,
    };
  if (result.type === "canceled")
    return {
      ok: false,
      kind: "cancelled",
      message: "the batch was cancelled before this request was answered",
      retryable: false,
    };
  return undefined;
}
