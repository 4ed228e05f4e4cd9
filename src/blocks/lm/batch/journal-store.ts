/**
 * Where batch execution writes its journal down. A local run uses the file journal
 * (`BatchJournal`); a distributed worker installs a journal its peers share, so a worker that takes
 * over a dead worker's unit finds the batches already submitted for its requests and polls them.
 */
import { type BatchEnd, BatchJournal, batchJournalPath, type JournaledBatch } from "./journal.js";

/** A value, or a promise of it (the file journal answers at once, a shared one over the network). */
export type Awaitable<T> = T | Promise<T>;

/** A batch about to be submitted, as its intent is written down. */
export type BatchIntent = Omit<JournaledBatch, "batchId" | "ended" | "cancelRequested">;

/**
 * What the batch submitter needs of a journal.
 *
 * @example
 * const journal: BatchJournalStore = openBatchJournal();
 * const taken = await journal.intent(batch); // ids another live batch already carries
 */
export interface BatchJournalStore {
  /** The latest batch that carries request `customId`. */
  find(customId: string): Awaitable<JournaledBatch | undefined>;
  /**
   * Write down a batch before any of its requests leaves. A shared journal claims the requests
   * atomically and returns the `custom_id`s that another batch, not ended, already carries: those
   * are left out of this batch (their callers wait for that batch instead).
   */
  intent(batch: BatchIntent): Awaitable<string[]>;
  /** The provider accepted the batch under `batchId` (or a listing found it, `provisional`). */
  submitted(local: string, batchId: string, options?: { provisional?: boolean }): Awaitable<void>;
  /** The batch ended (its results were read) or is known to be gone. */
  ended(local: string, status: BatchEnd): Awaitable<void>;
  /** Every batch the journal holds. */
  list(): Awaitable<JournaledBatch[]>;
}

const INSTALLED = Symbol.for("digit.lm.batch-journal-store");

/**
 * Make `store` the journal every block of this process opens from now on (a distributed worker
 * installs its shared journal at start). Returns a function that puts the previous one back.
 *
 * @example
 * const undo = useBatchJournal(new RedisBatchJournal(redis));
 * // ... on close:
 * undo();
 */
export function useBatchJournal(store: BatchJournalStore): () => void {
  const g = globalThis as { [INSTALLED]?: BatchJournalStore | undefined };
  const previous = g[INSTALLED];
  g[INSTALLED] = store;
  return () => {
    if (g[INSTALLED] === store) g[INSTALLED] = previous;
  };
}

/**
 * The journal a block's batch execution uses: the installed shared one, else the file journal
 * at `batchJournalPath()`.
 *
 * @example
 * const journal = openBatchJournal();
 */
export function openBatchJournal(): BatchJournalStore {
  const installed = (globalThis as { [INSTALLED]?: BatchJournalStore | undefined })[INSTALLED];
  return installed ?? BatchJournal.open(batchJournalPath());
}
