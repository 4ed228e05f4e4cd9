import { accessSync, constants, existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { CacheError } from "../errors.js";

/** One stored answer: the provider's response as JSON, and its token usage. */
export interface CachedAnswer {
  /** The response, as the provider returned it (JSON-serialisable). */
  value: unknown;
  prompt_tokens: number | undefined;
  completion_tokens: number | undefined;
}

/** What `put` stores besides the answer: who answered (for `digit cache stats`). */
export interface CacheEntry extends CachedAnswer {
  provider: string;
  model: string;
}

/** Entries and tokens of one provider and model (`digit cache stats`). */
export interface CacheModelStats {
  provider: string;
  model: string;
  entries: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** What the database holds (`digit cache stats`). */
export interface CacheStats {
  file: string;
  entries: number;
  bytes: number;
  oldest: number | undefined;
  newest: number | undefined;
  models: CacheModelStats[];
}

/** Where the cache reports what went wrong without stopping the run. */
export interface CacheWarnings {
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Options of `ResponseCache.open`. */
export interface CacheOpenOptions {
  /** How long a write waits for another process's lock before giving up (ms; default 5000). */
  busyTimeoutMs?: number | undefined;
  warnings?: CacheWarnings | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  value TEXT NOT NULL,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS responses_created_at ON responses (created_at);
`;

/** SQLite result codes that mean the file is not (or no longer) a usable database. */
const CORRUPT = new Set([
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_CORRUPT_VTAB",
  "SQLITE_IOERR_SHORT_READ",
]);

function sqliteCode(e: unknown): string {
  return typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "";
}

/**
 * The response cache: one SQLite database (WAL mode, so readers never wait for the writer and
 * several processes can share the file; a busy timeout for the writers' lock). Every answer is
 * committed as it arrives, so it survives the process being killed the next instant.
 *
 * Failures after opening never stop a run: a locked database skips the lookup or the write (with
 * a warning); a corrupt one is moved aside to `<file>.corrupt-<time>` and a new one started.
 *
 * @example
 * const cache = ResponseCache.open(".cache/digit/responses.sqlite");
 * cache.put(key, { provider: "openai", model: "gpt-4o-mini", value, prompt_tokens: 12, completion_tokens: 30 });
 * cache.get(key)?.value
 */
export class ResponseCache {
  private db: Database.Database;
  private getStmt!: Database.Statement<
    [string],
    { value: string; prompt_tokens: number | null; completion_tokens: number | null }
  >;
  private putStmt!: Database.Statement<
    [string, string, string, string, number | null, number | null, number]
  >;
  private readonly warned = new Set<string>();
  /** Set when the database could not be recovered: lookups miss and writes are dropped. */
  private broken = false;

  private constructor(
    readonly file: string,
    private readonly options: CacheOpenOptions,
  ) {
    this.db = this.connect();
  }

  /**
   * Open (or create) the database at `file`. Throws a CacheError when its folder cannot be
   * created or written; a file that is not a database is moved aside and a new one started.
   */
  static open(file: string, options: CacheOpenOptions = {}): ResponseCache {
    const dir = dirname(file);
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      if (existsSync(file)) accessSync(file, constants.R_OK | constants.W_OK);
    } catch (e) {
      throw new CacheError(`cannot use the response cache '${file}': ${(e as Error).message}`, {
        hint: "point --cache-dir (or $DGT_CACHE_DIR) at a writable folder, or run with --no-cache",
        cause: e,
      });
    }
    return new ResponseCache(file, options);
  }

  private connect(): Database.Database {
    try {
      return this.prepare(new Database(this.file, { timeout: this.options.busyTimeoutMs ?? 5000 }));
    } catch (e) {
      if (!CORRUPT.has(sqliteCode(e))) {
        throw new CacheError(
          `cannot open the response cache '${this.file}': ${(e as Error).message}`,
          {
            hint: /NODE_MODULE_VERSION/.test(String((e as Error).message))
              ? "better-sqlite3 was built for another Node version: run `npm rebuild better-sqlite3` with the Node you run digit on, or run with --no-cache"
              : "point --cache-dir (or $DGT_CACHE_DIR) at another folder, or run with --no-cache",
            cause: e,
          },
        );
      }
      this.moveAside(e);
      return this.prepare(new Database(this.file, { timeout: this.options.busyTimeoutMs ?? 5000 }));
    }
  }

  private prepare(db: Database.Database): Database.Database {
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(SCHEMA);
      this.getStmt = db.prepare(
        "SELECT value, prompt_tokens, completion_tokens FROM responses WHERE key = ?",
      );
      this.putStmt = db.prepare(
        "INSERT OR REPLACE INTO responses (key, provider, model, value, prompt_tokens, completion_tokens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      return db;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Move a corrupt database (and its WAL files) aside; returns the new name. */
  private moveAside(e: unknown): string {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    for (const suffix of ["", "-wal", "-shm"])
      if (existsSync(this.file + suffix)) renameSync(this.file + suffix, aside + suffix);
    this.options.warnings?.warn(
      `response cache '${this.file}' is not a usable database (${(e as Error).message}); moved it to '${aside}' and started a new one`,
      { file: this.file, moved_to: aside },
    );
    return aside;
  }

  /** The stored answer for `key`, or undefined (also when the database cannot be read now). */
  get(key: string): CachedAnswer | undefined {
    if (this.broken) return undefined;
    try {
      return this.read(key);
    } catch (e) {
      this.recover(e, "read");
      return undefined;
    }
  }

  /**
   * The stored answers for `keys`, in order (undefined for a miss), read in one transaction: one
   * snapshot and one lock for the lot instead of one per key. When the database cannot be read
   * now, every key misses.
   *
   * @example
   * const [a, b] = cache.getMany([keyA, keyB]);
   */
  getMany(keys: readonly string[]): (CachedAnswer | undefined)[] {
    if (this.broken || keys.length === 0) return keys.map(() => undefined);
    try {
      return this.db.transaction(() => keys.map((k) => this.read(k)))();
    } catch (e) {
      this.recover(e, "read");
      return keys.map(() => undefined);
    }
  }

  private read(key: string): CachedAnswer | undefined {
    const row = this.getStmt.get(key);
    if (!row) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(row.value);
    } catch {
      return undefined; // A damaged entry is a miss (the answer is asked again and replaced).
    }
    return {
      value,
      prompt_tokens: row.prompt_tokens ?? undefined,
      completion_tokens: row.completion_tokens ?? undefined,
    };
  }

  /** Store an answer (replacing any under the same key), committed before this returns. */
  put(key: string, entry: CacheEntry): void {
    if (this.broken) return;
    try {
      this.putStmt.run(
        key,
        entry.provider,
        entry.model,
        JSON.stringify(entry.value),
        entry.prompt_tokens ?? null,
        entry.completion_tokens ?? null,
        Date.now(),
      );
    } catch (e) {
      this.recover(e, "write");
    }
  }

  /** After a failed read or write: warn, and start a new database if this one is corrupt. */
  private recover(e: unknown, what: "read" | "write"): void {
    const code = sqliteCode(e);
    if (CORRUPT.has(code)) {
      try {
        this.db.close();
      } catch {
        // Closing a corrupt database may fail too; it is replaced either way.
      }
      try {
        this.moveAside(e);
        this.db = this.prepare(
          new Database(this.file, { timeout: this.options.busyTimeoutMs ?? 5000 }),
        );
        return;
      } catch (again) {
        e = again;
      }
    } else if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
      this.warnOnce(
        `busy-${what}`,
        `response cache '${this.file}' is locked by another process; a ${what} was skipped (the request ${what === "read" ? "is sent" : "is not cached"}). Further ones are not reported`,
      );
      return;
    }
    this.broken = true;
    this.warnOnce(
      "broken",
      `response cache '${this.file}' failed (${(e as Error).message}); responses are neither read from nor written to it for the rest of this run`,
    );
  }

  private warnOnce(id: string, message: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.options.warnings?.warn(message, { file: this.file });
  }

  /** Entries, size and token totals per provider and model. */
  stats(): CacheStats {
    const totals = this.db
      .prepare(
        "SELECT COUNT(*) AS entries, MIN(created_at) AS oldest, MAX(created_at) AS newest FROM responses",
      )
      .get() as { entries: number; oldest: number | null; newest: number | null };
    const models = this.db
      .prepare(
        "SELECT provider, model, COUNT(*) AS entries, COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(completion_tokens), 0) AS completion_tokens FROM responses GROUP BY provider, model ORDER BY entries DESC, provider, model",
      )
      .all() as CacheModelStats[];
    const pages =
      (this.db.pragma("page_count", { simple: true }) as number) *
      (this.db.pragma("page_size", { simple: true }) as number);
    return {
      file: this.file,
      entries: totals.entries,
      bytes: pages,
      oldest: totals.oldest ?? undefined,
      newest: totals.newest ?? undefined,
      models,
    };
  }

  /** Delete entries stored before `cutoff` (ms since the epoch); returns how many. */
  prune(cutoff: number): number {
    const n = this.db.prepare("DELETE FROM responses WHERE created_at < ?").run(cutoff).changes;
    this.db.exec("VACUUM");
    return n;
  }

  /** Delete every entry; returns how many. */
  clear(): number {
    const n = this.db.prepare("DELETE FROM responses").run().changes;
    this.db.exec("VACUUM");
    return n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
