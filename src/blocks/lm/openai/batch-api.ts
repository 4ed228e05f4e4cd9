import type OpenAI from "openai";
import { toFile } from "openai";
import type {
  BatchApi,
  BatchIntent,
  BatchLine,
  BatchResults,
  BatchState,
  LineResult,
} from "../batch/api.js";
import { CLOCK_SKEW_MS } from "../batch/reconcile.js";
import { parseResultLines } from "../batch/result-lines.js";

/** OpenAI's batch limits: 50,000 requests and 200 MB of JSONL per batch. */
const LIMITS = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 };

/**
 * OpenAI's (and Azure OpenAI's) batch API through the official SDK: the requests go up as a JSONL
 * file (`purpose: batch`), a batch is created on it, and its output and error files are read
 * when it ends. digit's local id travels in the batch's `metadata`, so a batch whose id was never
 * journaled (a kill right after creating it) is found again by listing.
 *
 * @example
 * const api = new OpenAIBatchApi(client, "/v1/chat/completions");
 * const id = await api.submit([{ customId: "a-0", body: { model: "gpt-4o-mini", messages } }], { local: "dgb_1" });
 */
export class OpenAIBatchApi implements BatchApi {
  readonly limits = LIMITS;

  constructor(
    private readonly client: OpenAI,
    /** The URL each line names (`/v1/chat/completions`; Azure: `/chat/completions`). */
    private readonly url: string,
    readonly provider: string = "openai",
    private readonly completionWindow: string = "24h",
  ) {}

  lineBytes(line: BatchLine): number {
    return Buffer.byteLength(this.line(line)) + 1;
  }

  private line(line: BatchLine): string {
    return JSON.stringify({
      custom_id: line.customId,
      method: "POST",
      url: this.url,
      body: line.body,
    });
  }

  async submit(lines: BatchLine[], meta: { local: string }): Promise<string> {
    const content = Buffer.from(`${lines.map((l) => this.line(l)).join("\n")}\n`);
    const file = await this.client.files.create({
      file: await toFile(content, `${meta.local}.jsonl`),
      purpose: "batch",
    });
    const batch = await this.client.batches.create({
      input_file_id: file.id,
      endpoint: this.url as OpenAI.BatchCreateParams["endpoint"],
      completion_window: this.completionWindow as OpenAI.BatchCreateParams["completion_window"],
      metadata: { digit_local_id: meta.local },
    });
    return batch.id;
  }

  async retrieve(batchId: string): Promise<BatchState> {
    const b = await this.client.batches.retrieve(batchId);
    const ended =
      b.status === "completed"
        ? "completed"
        : b.status === "expired"
          ? "expired"
          : b.status === "cancelled"
            ? "cancelled"
            : b.status === "failed"
              ? "failed"
              : undefined;
    const counts = b.request_counts;
    return {
      status: b.status,
      ended,
      done: counts ? counts.completed + counts.failed : undefined,
      total: counts?.total,
    };
  }

  async results(batchId: string): Promise<BatchResults> {
    const b = await this.client.batches.retrieve(batchId);
    const lines = new Map<string, LineResult>();
    let malformed = 0;
    for (const fileId of [b.output_file_id, b.error_file_id]) {
      if (!fileId) continue;
      const text = await (await this.client.files.content(fileId)).text();
      const parsed = parseResultLines(text, openaiLine);
      malformed += parsed.malformed;
      for (const [id, r] of parsed.lines) if (!lines.has(id) || r.ok) lines.set(id, r);
    }
    return { lines, malformed };
  }

  async cancel(batchId: string): Promise<void> {
    await this.client.batches.cancel(batchId);
  }

  async findSubmitted(
    intent: BatchIntent,
    known: ReadonlySet<string>,
  ): Promise<{ batchId: string; provisional: boolean } | undefined> {
    // Newest first (the API's order): stop at batches created before the intent was written.
    for await (const b of this.client.batches.list({ limit: 100 })) {
      if (b.created_at * 1000 < intent.at - CLOCK_SKEW_MS) break;
      const tag = (b.metadata as Record<string, unknown> | null)?.digit_local_id;
      if (tag === intent.local && !known.has(b.id)) return { batchId: b.id, provisional: false };
    }
    return undefined;
  }
}

/** One line of an output or error file: `{custom_id, response: {status_code, body}, error}`. */
function openaiLine(v: Record<string, unknown>): LineResult | undefined {
  const response = v.response as { status_code?: unknown; body?: unknown } | null | undefined;
  const error = v.error as { code?: unknown; message?: unknown } | null | undefined;
  if (
    response &&
    response.status_code === 200 &&
    response.body &&
    typeof response.body === "object"
  )
    return { ok: true, body: response.body };
  if (response && typeof response.status_code === "number") {
    const status = response.status_code;
    const message = String(
      (response.body as { error?: { message?: unknown } } | undefined)?.error?.message ??
        `status ${status}`,
    );
    const kind = status === 429 ? "429" : status >= 500 ? "5xx" : "4xx";
    return {
      ok: false,
      kind,
      message: `${status} ${message}`,
      retryable: status === 429 || status === 408 || status >= 500,
    };
  }
  if (error) {
    const code = String(error.code ?? "error");
    return {
      ok: false,
      kind:
        code === "batch_expired" ? "expired" : code === "batch_cancelled" ? "cancelled" : "other",
      message: `${code}: ${String(error.message ?? "")}`,
      retryable: code !== "batch_cancelled",
    };
  }
  return undefined;
}
