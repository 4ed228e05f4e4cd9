/**
 * The batch journal: an append-only JSONL file that records every provider batch digit submits,
 * which requests it carries, and how it ended. A batch is written down (fsynced) before it is
 * submitted and again as soon as the provider names it, so a run killed at any moment and started
 * again finds its requests there and polls the same batches instead of paying for them twice.
 * It never holds an API key or a prompt: requests are known by their `custom_id`, a hash of the
 * request.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";

/** How a batch ended at the provider. */
export type BatchEnd = "completed" | "expired" | "cancelled" | "failed" | "lost";

/** One batch as the journal knows it. */
export interface JournaledBatch {
  /** digit's own id, given before the provider names the batch. */
  local: string;
  provider: string;
  /** The endpoint's base URL (without credentials). */
  endpoint: string;
  model: string;
  block: string;
  /** When the intent was written (ms since epoch). */
  at: number;
  /** `custom_id` of every request, in order. */
  requests: string[];
  /** The provider's batch id, once known. */
  batchId?: string | undefined;
  /** The id was found by listing and is proven only when the batch answers our requests. */
  provisional?: boolean | undefined;
  ended?: BatchEnd | undefined;
  /** A cancel was asked for (by `digit batches cancel` or a run). */
  cancelRequested?: boolean | undefined;
}

/** One line of the journal file. */
type Entry =
  | {
      op: "intent";
      local: string;
      provider: string;
      endpoint: string;
      model: string;
      block: string;
      at: number;
      requests: string[];
    }
  | { op: "submitted"; local: string; batch_id: string; at: number; provisional?: true }
  | { op: "ended"; local: string; status: BatchEnd; at: number }
  | { op: "cancel"; local: string; at: number };

/**
 * The journal file digit uses: `$DGT_BATCH_JOURNAL`, else `batches.jsonl` in `$DGT_CACHE_DIR`
 * (default `.cache`), relative to the working directory.
 *
 * @example
 * batchJournalPath() // "/home/me/project/.cache/batches.jsonl"
 */
export function batchJournalPath(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (env.DGT_BATCH_JOURNAL) return resolve(cwd, env.DGT_BATCH_JOURNAL);
  return resolve(cwd, env.DGT_CACHE_DIR || ".cache", "batches.jsonl");
}

/**
 * An open batch journal. Reading tolerates a torn last line (a kill in mid-write); writing appends
 * one line and fsyncs it before returning.
 *
 * @example
 * const journal = BatchJournal.open(batchJournalPath());
 * journal.find("3f…-0") // the batch that carries this request, if any
 */
export class BatchJournal {
  private readonly batches = new Map<string, JournaledBatch>();
  /** custom_id → local id of the latest batch that carries it. */
  private readonly byRequest = new Map<string, string>();
  /** Lines that could not be read (torn or foreign). */
  skipped = 0;

  private constructor(readonly file: string) {
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        this.skipped++;
        continue;
      }
      if (!this.apply(entry)) this.skipped++;
    }
  }

  /** The journal at `file` (one instance per file per process, so every block sees the others' batches). */
  static open(file: string = batchJournalPath()): BatchJournal {
    const path = resolve(file);
    const g = globalThis as { [JOURNALS]?: Map<string, BatchJournal> };
    const map = (g[JOURNALS] ??= new Map());
    let journal = map.get(path);
    if (!journal) {
      journal = new BatchJournal(path);
      map.set(path, journal);
    }
    return journal;
  }

  /** Forget the open journals of this process (tests; the next `open` reads the file again). */
  static closeAll(): void {
    (globalThis as { [JOURNALS]?: Map<string, BatchJournal> })[JOURNALS]?.clear();
  }

  /** Every batch, oldest first. */
  list(): JournaledBatch[] {
    return [...this.batches.values()];
  }

  /** A batch by digit's local id or the provider's batch id. */
  get(id: string): JournaledBatch | undefined {
    return this.batches.get(id) ?? this.list().find((b) => b.batchId === id);
  }

  /** The latest batch that carries request `customId`. */
  find(customId: string): JournaledBatch | undefined {
    const local = this.byRequest.get(customId);
    return local === undefined ? undefined : this.batches.get(local);
  }

  /**
   * Write down a batch about to be submitted (before any request leaves). Returns the requests
   * another batch already claimed: none here (a file journal has one writer, its process).
   */
  intent(batch: Omit<JournaledBatch, "batchId" | "ended" | "cancelRequested">): string[] {
    this.write({
      op: "intent",
      local: batch.local,
      provider: batch.provider,
      endpoint: withoutCredentials(batch.endpoint),
      model: batch.model,
      block: batch.block,
      at: batch.at,
      requests: batch.requests,
    });
    return [];
  }

  /**
   * The provider accepted the batch under `batchId` (or, `provisional`, a listing found a batch
   * that matches the intent but is proven only by its answers).
   */
  submitted(local: string, batchId: string, options: { provisional?: boolean } = {}): void {
    this.write({
      op: "submitted",
      local,
      batch_id: batchId,
      at: Date.now(),
      ...(options.provisional ? { provisional: true as const } : {}),
    });
  }

  /** The batch ended (its results were read) or is known to be gone. */
  ended(local: string, status: BatchEnd): void {
    if (this.batches.get(local)?.ended === status) return;
    this.write({ op: "ended", local, status, at: Date.now() });
  }

  /** A cancel was asked for. */
  cancelRequested(local: string): void {
    this.write({ op: "cancel", local, at: Date.now() });
  }

  private write(entry: Entry): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const fd = openSync(this.file, "a", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.apply(entry);
  }

  private apply(e: Entry): boolean {
    if (!e || typeof e !== "object" || typeof e.local !== "string") return false;
    if (e.op === "intent") {
      if (!Array.isArray(e.requests)) return false;
      this.batches.set(e.local, {
        local: e.local,
        provider: String(e.provider),
        endpoint: String(e.endpoint),
        model: String(e.model),
        block: String(e.block),
        at: Number(e.at),
        requests: e.requests.map(String),
      });
      for (const id of e.requests) this.byRequest.set(String(id), e.local);
      return true;
    }
    const b = this.batches.get(e.local);
    if (!b) return false;
    if (e.op === "submitted") {
      b.batchId = String(e.batch_id);
      b.provisional = e.provisional === true;
    } else if (e.op === "ended") b.ended = e.status;
    else if (e.op === "cancel") b.cancelRequested = true;
    else return false;
    return true;
  }
}

const JOURNALS = Symbol.for("digit.lm.batch-journals");

/** A URL without `user:password@`, for the journal and listings. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}
