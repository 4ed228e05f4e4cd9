/**
 * Finding a batch that was created but never journaled (a kill in the instant between the create
 * call and the journal line), for providers whose batches carry no digit tag (Anthropic). The
 * intent written before the create names the batch's size, its `custom_id`s and when it was
 * about to be sent; a listed batch matches when it was created in that window, has that many
 * requests and no journaled id. An ended one is proven by its results (exactly our `custom_id`s);
 * a running one cannot be read yet, so it is taken provisionally and proven when it ends.
 */
import type { BatchIntent, BatchResults } from "./api.js";

/** How far the provider's clock may be behind this machine's. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** How long after its intent a batch may have been created (the submit's retries and backoff). */
export const SUBMIT_SPAN_MS = 10 * 60_000;

/** A batch as listed by the provider. */
export interface ListedBatch {
  id: string;
  /** ms since epoch (the provider's clock). */
  createdAt: number;
  /** Requests it holds. */
  total: number;
  ended: boolean;
}

/**
 * The id of the listed batch that is the intent's, if one can be found.
 *
 * @example
 * await reconcile(intent, known, api.listRecent(), (id) => api.results(id))
 * // { batchId: "msgbatch_…", provisional: false }
 */
export async function reconcile(
  intent: BatchIntent,
  known: ReadonlySet<string>,
  listed: AsyncIterable<ListedBatch>,
  results: (batchId: string) => Promise<BatchResults>,
): Promise<{ batchId: string; provisional: boolean } | undefined> {
  const from = intent.at - CLOCK_SKEW_MS;
  const to = intent.at + SUBMIT_SPAN_MS + CLOCK_SKEW_MS;
  const candidates: ListedBatch[] = [];
  for await (const b of listed) {
    // Newest first: once past the window's start, nothing older can be ours.
    if (b.createdAt < from) break;
    if (b.createdAt > to || known.has(b.id) || b.total !== intent.requests.length) continue;
    candidates.push(b);
  }
  const ours = new Set(intent.requests);
  for (const b of candidates.filter((c) => c.ended)) {
    const { lines } = await results(b.id);
    if (lines.size === ours.size && [...lines.keys()].every((id) => ours.has(id)))
      return { batchId: b.id, provisional: false };
  }
  // Of the running ones, the first created after the intent was written is the likeliest.
  const running = candidates
    .filter((c) => !c.ended)
    .sort(
      (a, b) =>
        Number(a.createdAt < intent.at) - Number(b.createdAt < intent.at) ||
        a.createdAt - b.createdAt,
    );
  return running[0] ? { batchId: running[0].id, provisional: true } : undefined;
}

/**
 * Whether an ended batch's results prove it is not the intent's: it answered lines, and none of
 * them carries one of our `custom_id`s.
 *
 * @example
 * notOurs(["a-0", "b-0"], results) // true when every line is of another batch
 */
export function notOurs(requests: readonly string[], results: BatchResults): boolean {
  if (results.lines.size === 0) return false;
  const ours = new Set(requests);
  for (const id of results.lines.keys()) if (ours.has(id)) return false;
  return true;
}
