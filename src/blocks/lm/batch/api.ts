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
  /**
   * The provider's id of a journaled batch whose id was never written down (a kill between
   * creating it and journaling its id), found by listing the account's recent batches, if the API
   * can tell. `known` holds the batch ids the journal already has (never an answer). A match that
   * cannot be proven yet is returned with `provisional`: the submitter checks it by its
   * `custom_id`s when it ends.
   */
  findSubmitted?(
    intent: BatchIntent,
    known: ReadonlySet<string>,
  ): Promise<{ batchId: string; provisional: boolean } | undefined>;
}

/** What the journal knows of a batch before the provider named it. */
export interface BatchIntent {
  /** digit's own id (OpenAI batches carry it in their metadata). */
  local: string;
  /** When the intent was written (ms since epoch, this machine's clock). */
  at: number;
  /** `custom_id` of every request, in order. */
  requests: readonly string[];
}
