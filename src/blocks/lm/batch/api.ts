/**
 * What the batch submitter needs of a provider's batch API. One implementation per provider
 * (openai/batch-api.ts, anthropic/batch-api.ts); the submitter does the packing, journaling,
 * polling and dispatching for all of them.
 */

/** One request of a batch: its id in the batch and the body the online endpoint would get. */
export interface BatchLine {
  customId: string;
  body: Record<string, unknown>;
}

/** Where a batch stands at the provider. */
export interface BatchState {
  /** The provider's own status word (for logs and `digit batches list`). */
  status: string;
  /** How it ended, once it has (undefined while it runs). */
  ended?: "completed" | "expired" | "cancelled" | "failed" | undefined;
  /** Requests answered so far and in all, when the provider says. */
  done?: number | undefined;
  total?: number | undefined;
}

/** The answer to one request of a batch, or why it has none. */
export type LineResult =
  | { ok: true; body: unknown }
  | { ok: false; kind: string; message: string; retryable: boolean };

/** Everything a batch's result files said. */
export interface BatchResults {
  lines: Map<string, LineResult>;
  /** Lines that were not valid JSON or lacked a `custom_id`. */
  malformed: number;
}

/**
 * A provider's batch API.
 *
 * @example
 * const handle = await api.submit(lines, { local: "dgb_1a2b" });
 * const state = await api.retrieve(handle);
 * if (state.ended) for (const [id, r] of (await api.results(handle, state)).lines) ...
 */
export interface BatchApi {
  /** Provider name as in block types and prices ("openai", "anthropic"). */
  readonly provider: string;
  /** The most requests and bytes of JSONL one batch may hold. */
  readonly limits: { maxRequests: number; maxBytes: number };
  /** The size a line takes in the batch's upload. */
  lineBytes(line: BatchLine): number;
  /** Submit a batch; returns the provider's batch id. */
  submit(lines: BatchLine[], meta: { local: string }): Promise<string>;
  retrieve(batchId: string): Promise<BatchState>;
  /** Read an ended batch's answers and errors. */
  results(batchId: string): Promise<BatchResults>;
  cancel(batchId: string): Promise<void>;
  /** A batch submitted under digit's `local` id whose batch id was never written down, if the API can tell. */
  findSubmitted?(local: string): Promise<string | undefined>;
}
