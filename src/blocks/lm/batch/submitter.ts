/**
 * The batch submitter of one LLM block: it collects the block's requests, packs them into provider
 * batches (within the API's request-count and size limits), journals each batch before sending
 * it, polls with backoff until it ends, and hands every request its own answer or error.
 */
import { randomBytes } from "node:crypto";
import { BatchUnsupportedError } from "../../../errors.js";
import { type Logger, silentLogger } from "../../../telemetry/logger.js";
import type { BatchApi, BatchLine, BatchResults, BatchState, LineResult } from "./api.js";
import type { BatchEnd, JournaledBatch } from "./journal.js";
import type { BatchJournalStore } from "./journal-store.js";
import { notOurs } from "./reconcile.js";
import { scopedRequestKey } from "./request-scope.js";

/** How a submitter packs and polls. */
export interface SubmitterOptions {
  api: BatchApi;
  journal: BatchJournalStore;
  /** For the journal: where, which model, which block. */
  endpoint: string;
  model: string;
  block: string;
  /** A batch is sent once no request arrived for this long (or it is full), ms. */
  windowMs: number;
  /** First poll interval, ms; it grows by half each poll up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
  /** At most this many requests per batch (also capped by the API's limit). */
  maxRequests?: number | undefined;
  logger?: Logger | undefined;
}

/** A request waiting for its answer. */
interface Waiter {
  resolve(result: LineResult): void;
  reject(error: unknown): void;
}

/** A submitted batch being polled. */
interface Tracked {
  batch: JournaledBatch;
  waiters: Map<string, Waiter[]>;
  results?: Map<string, LineResult> | undefined;
  /**
   * The batch was cancelled before this process attached to it (a rerun after `digit batches
   * cancel`): its unanswered requests are sent again rather than failed a second time.
   */
  cancelledBefore?: boolean | undefined;
  /** How the batch ended, once its results are read. */
  end?: BatchEnd | undefined;
  polling: boolean;
  /**
   * Found by listing, not proven ours yet (a running batch that matched the intent's time and
   * size): the requests waiting for it, with their lines, to submit them again should it end
   * with none of our ids.
   */
  provisional?: Map<string, BatchLine> | undefined;
}

/** Counters a test, log or summary reads. */
export interface SubmitterCounters {
  /** Batches this submitter created. */
  submitted: number;
  /** Requests in those batches. */
  requests: number;
  /** Journaled batches of an earlier run this submitter polled again. */
  resumed: number;
  /** Result lines that were not valid JSON, and lines whose `custom_id` the batch never had. */
  malformed: number;
  unknown: number;
}

/**
 * Submits one block's requests as provider batches.
 *
 * @example
 * const submitter = new BatchSubmitter({ api, journal, endpoint, model, block: "generator", windowMs: 2000, pollMs: 30_000, maxPollMs: 600_000 });
 * const id = submitter.customId(requestHash(body));
 * const result = await submitter.request({ customId: id, body });
 */
export class BatchSubmitter {
  readonly counters: SubmitterCounters = {
    submitted: 0,
    requests: 0,
    resumed: 0,
    malformed: 0,
    unknown: 0,
  };
  private pending: { line: BatchLine; waiter: Waiter }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private readonly tracked = new Map<string, Tracked>();
  private readonly occurrences = new Map<string, number>();
  /** Listing lookups in progress, per local id (every request of a batch asks at once). */
  private readonly finding = new Map<
    string,
    Promise<{ batchId: string; provisional: boolean } | undefined>
  >();
  private unsupported: BatchUnsupportedError | undefined;
  private readonly logger: Logger;

  constructor(private readonly opts: SubmitterOptions) {
    this.logger = opts.logger ?? silentLogger;
  }

  /** Requests waiting to be packed into a batch. */
  get queued(): number {
    return this.pending.length;
  }

  /**
   * The `custom_id` for the next request with hash `requestKey`: the hash and how many times
   * this submitter was asked for it before, so equal requests (several samples of one prompt)
   * stay distinct, and a rerun asks for the same ids in the same order. Inside a unit of a
   * distributed run the hash is derived from the unit too (see `request-scope.ts`), so the unit
   * asks for the same ids on whichever worker runs it.
   */
  customId(requestKey: string): string {
    const key = scopedRequestKey(requestKey);
    const k = this.occurrences.get(key) ?? 0;
    this.occurrences.set(key, k + 1);
    return `${key}-${k}`;
  }

  /**
   * The answer to one request. A request an earlier batch already carries (this run's or one in
   * the journal) waits for that batch; `fresh` skips that (a retry after the batch failed it).
   */
  request(
    line: BatchLine,
    options: { fresh?: boolean; signal?: AbortSignal | undefined } = {},
  ): Promise<LineResult> {
    if (this.unsupported) return Promise.reject(this.unsupported);
    return new Promise<LineResult>((resolve, reject) => {
      const signal = options.signal;
      let settled = false;
      const onAbort = () => finish(() => reject(signal!.reason));
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        f();
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const waiter: Waiter = {
        resolve: (r) => finish(() => resolve(r)),
        reject: (e) => finish(() => reject(e)),
      };
      if (options.fresh) return this.enqueue(line, waiter);
      void (async () => {
        const known = await this.opts.journal.find(line.customId);
        if (known && carries(known)) await this.attach(known, line.customId, waiter, line);
        else this.enqueue(line, waiter);
      })().catch(waiter.reject);
    });
  }

  private enqueue(line: BatchLine, waiter: Waiter): void {
    if (this.pending.length === 0) this.firstPendingAt = Date.now();
    this.pending.push({ line, waiter });
    if (this.pending.length >= this.maxRequests()) {
      this.flushSoon(0);
      return;
    }
    // Wait for the quiet window, but never more than ten windows after the first request.
    const wait = Math.min(
      this.opts.windowMs,
      Math.max(0, this.firstPendingAt + 10 * this.opts.windowMs - Date.now()),
    );
    this.flushSoon(wait);
  }

  private flushSoon(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private maxRequests(): number {
    return Math.max(
      1,
      Math.min(this.opts.maxRequests ?? Infinity, this.opts.api.limits.maxRequests),
    );
  }

  /** Pack every pending request into batches and submit them. */
  private async flush(): Promise<void> {
    while (this.pending.length) {
      const take: typeof this.pending = [];
      let bytes = 0;
      while (this.pending.length && take.length < this.maxRequests()) {
        const size = this.opts.api.lineBytes(this.pending[0]!.line);
        if (take.length && bytes + size > this.opts.api.limits.maxBytes) break;
        bytes += size;
        take.push(this.pending.shift()!);
      }
      await this.submit(take);
    }
  }

  private async submit(all: { line: BatchLine; waiter: Waiter }[]): Promise<void> {
    let items = all;
    if (this.unsupported) {
      for (const i of items) i.waiter.reject(this.unsupported);
      return;
    }
    const local = `dgb_${randomBytes(8).toString("hex")}`;
    const batch: JournaledBatch = {
      local,
      provider: this.opts.api.provider,
      endpoint: this.opts.endpoint,
      model: this.opts.model,
      block: this.opts.block,
      at: Date.now(),
      requests: items.map((i) => i.line.customId),
    };
    // Written down before anything is sent: a kill from here on finds the batch on the next run.
    let taken: string[];
    try {
      taken = await this.opts.journal.intent(batch);
    } catch (e) {
      for (const i of items) i.waiter.reject(e);
      return;
    }
    if (taken.length) {
      // A shared journal: another worker's batch, not ended, carries these; wait for it instead.
      const claimed = new Set(taken);
      for (const i of items.filter((i) => claimed.has(i.line.customId)))
        void this.waitForClaimed(i.line, i.waiter);
      items = items.filter((i) => !claimed.has(i.line.customId));
      batch.requests = items.map((i) => i.line.customId);
      if (!items.length) return;
    }
    let batchId: string | undefined;
    let provisional = false;
    let lastError: unknown;
    // Whether the last failure may have come after the provider created the batch (a timeout, a
    // dropped connection, a 5xx): then the batch is looked for before trying again.
    let ambiguous = false;
    const lookUp = async () => {
      if (!ambiguous || !this.opts.api.findSubmitted) return;
      const found = await this.opts.api
        .findSubmitted(batch, await this.journaledIds())
        .catch(() => undefined);
      if (found) ({ batchId, provisional } = found);
    };
    for (let attempt = 0; attempt < SUBMIT_ATTEMPTS && batchId === undefined; attempt++) {
      await lookUp();
      if (batchId !== undefined) break;
      try {
        batchId = await this.opts.api.submit(
          items.map((i) => i.line),
          { local },
        );
      } catch (e) {
        lastError = e;
        const status = (e as { status?: unknown }).status;
        if (status === 404 || status === 405) {
          this.unsupported = new BatchUnsupportedError(
            `block '${this.opts.block}': the endpoint ${this.opts.endpoint} has no ${this.opts.api.provider} batch API (it answered ${String(status)})`,
          );
          break;
        }
        if (
          typeof status === "number" &&
          status >= 400 &&
          status < 500 &&
          status !== 408 &&
          status !== 429
        )
          break;
        ambiguous = status !== 429;
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** attempt)));
      }
    }
    if (batchId === undefined) await lookUp();
    if (batchId === undefined) {
      await this.journalEnd(local, "failed");
      const error = this.unsupported ?? lastError;
      for (const i of items) i.waiter.reject(error);
      return;
    }
    await this.journalSubmitted(local, batchId, provisional);
    this.counters.submitted++;
    this.counters.requests += items.length;
    this.logger.info(
      `block '${this.opts.block}': submitted ${this.opts.api.provider} batch ${batchId} with ${items.length} requests`,
      { batch_id: batchId, requests: items.length },
    );
    const t = this.track({ ...batch, batchId });
    if (provisional) t.provisional = new Map(items.map((i) => [i.line.customId, i.line]));
    for (const i of items) addWaiter(t, i.line.customId, i.waiter);
    this.poll(t, this.opts.pollMs);
  }

  /** Wait for a request some journaled batch already carries. */
  private async attach(
    known: JournaledBatch,
    customId: string,
    waiter: Waiter,
    line: BatchLine,
  ): Promise<void> {
    let t = this.tracked.get(known.local);
    if (!t) {
      let batchId = known.batchId;
      let provisional = false;
      if (batchId === undefined) {
        // Killed between writing the intent and learning the batch id: ask the provider.
        const found = await this.findSubmitted(known);
        t = this.tracked.get(known.local);
        if (!t) {
          if (found === undefined) {
            void this.journalEnd(known.local, "lost");
            return this.enqueue(line, waiter);
          }
          batchId = found.batchId;
          provisional = found.provisional;
          // Not awaited: the requests of this batch that wait here must find one tracked entry.
          void this.journalSubmitted(known.local, batchId, provisional);
          this.logger.info(
            `block '${this.opts.block}': batch ${batchId} was created by an earlier run that stopped before writing its id down; found it by listing the account's batches${provisional ? " (to be confirmed by its answers)" : ""}`,
            { batch_id: batchId },
          );
        }
      }
      if (!t) {
        t = this.track({ ...known, batchId });
        if (provisional || known.provisional) t.provisional = new Map();
        t.cancelledBefore = known.cancelRequested === true || known.ended === "cancelled";
        this.counters.resumed++;
        this.logger.info(
          `block '${this.opts.block}': polling batch ${batchId} again (journaled by an earlier run), instead of submitting its requests again`,
          { batch_id: batchId },
        );
      }
    }
    if (t.results) return waiter.resolve(resultFor(t, customId));
    t.provisional?.set(customId, line);
    addWaiter(t, customId, waiter);
    this.poll(t, 0);
  }

  /** Batch ids the journal knows (a listing never takes one of them for a lost batch). */
  private async journaledIds(): Promise<Set<string>> {
    const batches = await this.opts.journal.list();
    return new Set(batches.flatMap((b) => (b.batchId ? [b.batchId] : [])));
  }

  /** Wait for the batch another worker's intent claimed this request for. */
  private async waitForClaimed(line: BatchLine, waiter: Waiter): Promise<void> {
    try {
      const known = await this.opts.journal.find(line.customId);
      if (known && carries(known)) await this.attach(known, line.customId, waiter, line);
      else this.enqueue(line, waiter);
    } catch (e) {
      waiter.reject(e);
    }
  }

  /** Write a batch's id down; a journal that cannot be reached is said (a taker lists the provider's batches). */
  private async journalSubmitted(local: string, batchId: string, provisional: boolean) {
    try {
      await this.opts.journal.submitted(local, batchId, { provisional });
    } catch (e) {
      this.logger.warn(
        `block '${this.opts.block}': could not write batch ${batchId} down in the journal (${(e as Error).message}); a run that takes its requests over finds it by listing the provider's batches`,
      );
    }
  }

  /** Write a batch's end down; a journal that cannot be reached is said, not fatal (answers are in hand). */
  private async journalEnd(local: string, end: BatchEnd): Promise<void> {
    try {
      await this.opts.journal.ended(local, end);
    } catch (e) {
      this.logger.warn(
        `block '${this.opts.block}': could not write the end of a batch in the journal (${(e as Error).message})`,
      );
    }
  }

  /** The provider's id for a journaled intent without one (one listing per intent). */
  private findSubmitted(
    known: JournaledBatch,
  ): Promise<{ batchId: string; provisional: boolean } | undefined> {
    let p = this.finding.get(known.local);
    if (!p) {
      const api = this.opts.api;
      p = (
        api.findSubmitted
          ? this.journaledIds().then((ids) => api.findSubmitted!(known, ids))
          : Promise.resolve(undefined)
      ).catch((e: unknown) => {
        this.logger.warn(
          `block '${this.opts.block}': could not list the provider's batches to find one an earlier run created (${(e as Error).message}); its requests are submitted again`,
        );
        return undefined;
      });
      this.finding.set(known.local, p);
    }
    return p;
  }

  private track(batch: JournaledBatch): Tracked {
    const t: Tracked = { batch, waiters: new Map(), polling: false };
    this.tracked.set(batch.local, t);
    return t;
  }

  /** Poll a batch until it ends (or nobody waits for it any more), then answer its waiters. */
  private poll(t: Tracked, firstDelayMs: number): void {
    if (t.polling) return;
    t.polling = true;
    void (async () => {
      let delay = firstDelayMs;
      try {
        while (t.waiters.size > 0 && !t.results) {
          if (delay > 0) await new Promise((r) => setTimeout(r, delay));
          delay = Math.max(delay, this.opts.pollMs);
          delay = Math.min(this.opts.maxPollMs, Math.ceil(delay * 1.5));
          let state: BatchState;
          try {
            state = await this.opts.api.retrieve(t.batch.batchId!);
          } catch (e) {
            if ((e as { status?: unknown }).status === 404) {
              this.endBatch(t, "lost", { lines: new Map(), malformed: 0 });
              break;
            }
            this.logger.debug(
              `block '${this.opts.block}': polling batch ${t.batch.batchId} failed (${(e as Error).message}); trying again`,
            );
            continue;
          }
          if (!state.ended) continue;
          let results: BatchResults;
          try {
            results = await this.opts.api.results(t.batch.batchId!);
          } catch (e) {
            this.logger.debug(
              `block '${this.opts.block}': reading the results of batch ${t.batch.batchId} failed (${(e as Error).message}); trying again`,
            );
            continue;
          }
          this.endBatch(t, state.ended, results);
        }
      } finally {
        t.polling = false;
      }
    })();
  }

  private endBatch(t: Tracked, end: BatchEnd, results: BatchResults): void {
    if (t.provisional && notOurs(t.batch.requests, results)) {
      // The batch found by listing was another's (same size, same minutes): ours was never
      // created. Its answers are not used; the requests waiting for it go into a new batch.
      this.logger.warn(
        `block '${this.opts.block}': batch ${t.batch.batchId} answered none of this run's requests, so it was not the one an earlier run lost; submitting them again`,
        { batch_id: t.batch.batchId },
      );
      void this.journalEnd(t.batch.local, "lost");
      this.tracked.delete(t.batch.local);
      this.finding.set(t.batch.local, Promise.resolve(undefined));
      const again = [...t.waiters].flatMap(([id, list]) =>
        list.map((w) => ({ line: t.provisional!.get(id)!, waiter: w })),
      );
      t.waiters.clear();
      for (const { line, waiter } of again) this.enqueue(line, waiter);
      return;
    }
    const known = new Set(t.batch.requests);
    let unknown = 0;
    for (const id of results.lines.keys()) if (!known.has(id)) unknown++;
    this.counters.malformed += results.malformed;
    this.counters.unknown += unknown;
    if (results.malformed || unknown) {
      this.logger.warn(
        `block '${this.opts.block}': batch ${t.batch.batchId} answered ${results.malformed} malformed lines and ${unknown} lines with unknown ids; the requests without an answer are retried`,
        { malformed: results.malformed, unknown },
      );
    }
    t.results = new Map([...results.lines].filter(([id]) => known.has(id)));
    t.end = end;
    void this.journalEnd(t.batch.local, end);
    if (end !== "completed")
      this.logger.warn(
        `block '${this.opts.block}': batch ${t.batch.batchId} ended ${end}; ${t.results.size} of ${t.batch.requests.length} requests answered`,
      );
    for (const [id, list] of t.waiters) for (const w of list) w.resolve(resultFor(t, id));
    t.waiters.clear();
  }
}

/** How many times creating a batch is tried before its requests fail. */
const SUBMIT_ATTEMPTS = 4;

/** Whether a journaled batch is one to wait for (not lost or failed; named, or not ended). */
function carries(known: JournaledBatch): boolean {
  return (
    known.ended !== "lost" &&
    known.ended !== "failed" &&
    (known.batchId !== undefined || !known.ended)
  );
}

function addWaiter(t: Tracked, customId: string, waiter: Waiter): void {
  const list = t.waiters.get(customId);
  if (list) list.push(waiter);
  else t.waiters.set(customId, [waiter]);
}

/** A request's result in an ended batch; no line means it was not answered (why depends on the end). */
function resultFor(t: Tracked, customId: string): LineResult {
  const r = t.results?.get(customId);
  if (r)
    return r.ok || r.kind !== "cancelled" || !t.cancelledBefore ? r : { ...r, retryable: true };
  const end = t.end ?? "completed";
  if (end === "cancelled")
    return {
      ok: false,
      kind: "cancelled",
      message: `batch ${t.batch.batchId} was cancelled before this request was answered`,
      retryable: t.cancelledBefore === true,
    };
  if (end === "expired")
    return {
      ok: false,
      kind: "expired",
      message: `batch ${t.batch.batchId} expired before this request was answered`,
      retryable: true,
    };
  if (end === "lost")
    return {
      ok: false,
      kind: "lost",
      message: `batch ${t.batch.batchId} is no longer known to the provider`,
      retryable: true,
    };
  return {
    ok: false,
    kind: "missing",
    message: `batch ${t.batch.batchId} ended ${end} without an answer for this request`,
    retryable: end !== "failed",
  };
}
