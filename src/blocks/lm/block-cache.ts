import { isAbsolute, join, resolve } from "node:path";
import { callerPrefix, canonicalJson, requestKeyOf } from "../../cache/request-key.js";
import type { CachedAnswer, CacheWarnings, ResponseCache } from "../../cache/response-cache.js";
import {
  CACHE_FILE,
  type CacheSettings,
  cacheSettings,
  sharedCache,
} from "../../cache/settings.js";
import { rowDrawKey } from "../../util/draw-key.js";
import type { Row } from "../../util/mapping.js";

/** A block's `cache:` setting: whether it reads stored answers, writes new ones, or both. */
export type CacheMode = "off" | "read" | "write" | "readwrite";

/** What a block asks of the cache: its parsed `cache`, `lm_cache` and `force_cache` keys. */
export interface BlockCacheConfig {
  cache: boolean | "read" | "write" | "readwrite" | undefined;
  lm_cache: string | undefined;
  /** The provider's default when `cache` is not set (the offline `mock` does not cache). */
  cachedByDefault: boolean;
}

/** Who is asking: the fields of the key that are not the request. */
export interface CacheCaller {
  provider: string;
  endpoint: string;
  model: string;
}

/**
 * One block's view of the response cache: its mode, its database, and the sample index of each
 * request. The sample index makes the `i`-th time one row (by its draw key) sends one request a
 * distinct entry, so a task that asks the same prompt for several samples gets several answers,
 * and a rerun with the same seed replays them in the same places. Rows without a draw key are
 * numbered per request in the order they are sent.
 *
 * @example
 * const cache = BlockCache.create({ cache: undefined, lm_cache: undefined, cachedByDefault: true }, settings, logger);
 * const key = cache?.keys(caller, request, row)[0];
 */
export class BlockCache {
  /** How often each (draw key, request) was asked by this block. */
  private readonly asked = new Map<string, number>();
  /** Key prefixes by caller (see `callerPrefix`). */
  private readonly prefixes = new Map<string, string>();
  private db: ResponseCache | undefined;

  private constructor(
    readonly mode: Exclude<CacheMode, "off">,
    readonly file: string,
    private readonly warnings: CacheWarnings | undefined,
  ) {}

  /**
   * The block's cache, or undefined when it is off (`cache: false`, `--no-cache`, or a provider
   * that does not cache by default). Nothing is opened yet (see `open`).
   */
  static create(
    config: BlockCacheConfig,
    settings: Partial<CacheSettings> | undefined,
    warnings: CacheWarnings | undefined,
  ): BlockCache | undefined {
    const resolved = cacheSettings(settings ?? {});
    const mode = modeOf(config);
    if (!resolved.enabled || mode === "off") return undefined;
    const file = config.lm_cache
      ? isAbsolute(config.lm_cache)
        ? config.lm_cache
        : resolve(config.lm_cache)
      : join(resolved.dir, CACHE_FILE);
    return new BlockCache(mode, file, warnings);
  }

  /** Open the database now (throws a CacheError when it cannot be created or written). */
  open(): ResponseCache {
    this.db ??= sharedCache(this.file, this.warnings);
    return this.db;
  }

  get reads(): boolean {
    return this.mode !== "write";
  }

  get writes(): boolean {
    return this.mode !== "read";
  }

  /**
   * The keys of the `count` samples of one request sent for `row` (one per fanned-out request;
   * `count` is 1 when the endpoint returns all samples at once). Each call counts as one more ask
   * of this request by this row.
   */
  keys(caller: CacheCaller, request: Row, row: Row, count = 1): string[] {
    const drawKey = rowDrawKey(row) ?? null;
    const json = canonicalJson(request);
    const id = `${drawKey ?? ""}\u0000${json}`;
    const occurrence = this.asked.get(id) ?? 0;
    this.asked.set(id, occurrence + 1);
    const prefix = this.prefixOf(caller);
    return Array.from({ length: count }, (_, k) =>
      requestKeyOf(prefix, json, canonicalJson([drawKey, occurrence, k])),
    );
  }

  /** The key prefix of a caller (the same few callers ask again and again). */
  private prefixOf(caller: CacheCaller): string {
    const id = `${caller.provider}\u0000${caller.endpoint}\u0000${caller.model}`;
    let prefix = this.prefixes.get(id);
    if (prefix === undefined) {
      prefix = callerPrefix(caller);
      this.prefixes.set(id, prefix);
    }
    return prefix;
  }

  get(key: string): CachedAnswer | undefined {
    return this.reads ? this.open().get(key) : undefined;
  }

  /** The stored answers of `keys`, in order, read together (all miss when the block does not read). */
  getMany(keys: readonly string[]): (CachedAnswer | undefined)[] {
    return this.reads ? this.open().getMany(keys) : keys.map(() => undefined);
  }

  put(
    key: string,
    caller: CacheCaller,
    value: unknown,
    usage: { prompt_tokens: number | undefined; completion_tokens: number | undefined },
  ): void {
    if (this.writes)
      this.open().put(key, { provider: caller.provider, model: caller.model, value, ...usage });
  }
}

function modeOf(config: BlockCacheConfig): CacheMode {
  const c = config.cache;
  if (c === undefined) return config.cachedByDefault || config.lm_cache ? "readwrite" : "off";
  if (c === true) return "readwrite";
  if (c === false) return "off";
  return c;
}
