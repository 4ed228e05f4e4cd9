/**
 * The batch journal of a distributed run, kept in the run's Redis so every worker shares it. A
 * worker that takes over a dead worker's unit asks for the same `custom_id`s (they derive from the
 * unit), finds the batches already submitted for them and polls those instead of paying twice.
 *
 * Keys: `digit:batchjournal:b:<local>` (a hash: the intent, the provider's batch id, its end) and
 * `digit:batchjournal:r:<custom_id>` (the local id of the latest batch carrying the request). An
 * intent claims its requests in one script: a request another batch carries that has not ended is
 * left out and returned, so two workers running one unit never both submit it. Ended batches
 * expire after `endedTtlSec`; the others after `liveTtlSec` (longer than a provider keeps one).
 */
import type { Redis } from "ioredis";
import type { BatchEnd, JournaledBatch } from "../../../blocks/lm/batch/journal.js";
import type { BatchIntent, BatchJournalStore } from "../../../blocks/lm/batch/journal-store.js";
import { KEY_PREFIX } from "./protocol.js";

/** How long entries are kept, and how long a taker waits for a batch id another worker is getting. */
export interface SharedJournalOptions {
  /** Seconds an ended batch stays in the journal (default 3600). */
  endedTtlSec?: number | undefined;
  /** Seconds a batch not ended stays (default 8 days: providers end a batch within 24 hours). */
  liveTtlSec?: number | undefined;
  /**
   * An intent younger than this without a batch id may still get one from the worker that wrote
   * it: `find` waits this long from the intent before answering without one (ms; default 30000).
   */
  submitGraceMs?: number | undefined;
}

const ROOT = `${KEY_PREFIX}:batchjournal`;
const BATCH = `${ROOT}:b:`;
const REQUEST = `${ROOT}:r:`;

/**
 * KEYS[1] the new batch's hash, KEYS[2..] its requests' keys. ARGV[1] local id, ARGV[2] TTL,
 * ARGV[3] batch key prefix, ARGV[4] the intent's fields (JSON), ARGV[5..] the custom ids.
 * Returns the custom ids another batch, not ended, already carries (left out of this one).
 */
const INTENT = `
local taken = {}
local kept = {}
for i = 2, #KEYS do
  local other = redis.call('GET', KEYS[i])
  local live = false
  if other and other ~= ARGV[1] then
    local b = ARGV[3] .. other
    live = redis.call('EXISTS', b) == 1 and redis.call('HEXISTS', b, 'ended') == 0
  end
  if live then table.insert(taken, ARGV[i + 3]) else table.insert(kept, ARGV[i + 3]) end
  if not live then redis.call('SET', KEYS[i], ARGV[1], 'EX', ARGV[2]) end
end
if #kept > 0 then
  redis.call('HSET', KEYS[1], 'fields', ARGV[4], 'requests', cjson.encode(kept))
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return taken
`;

/**
 * KEYS[1] the batch's hash. ARGV[1] local id, ARGV[2] status, ARGV[3] TTL, ARGV[4] request key
 * prefix. Marks the batch ended and lets it and the request keys still naming it expire.
 */
const ENDED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'ended', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local requests = cjson.decode(redis.call('HGET', KEYS[1], 'requests') or '[]')
for _, id in ipairs(requests) do
  local k = ARGV[4] .. id
  if redis.call('GET', k) == ARGV[1] then redis.call('EXPIRE', k, ARGV[3]) end
end
return 1
`;

/**
 * A batch journal in Redis, shared by the workers of a distributed run.
 *
 * @example
 * const undo = useBatchJournal(new RedisBatchJournal(redis));
 * // every LLM block this worker builds now journals its batches in Redis
 */
export class RedisBatchJournal implements BatchJournalStore {
  private readonly endedTtlSec: number;
  private readonly liveTtlSec: number;
  private readonly submitGraceMs: number;

  constructor(
    private readonly redis: Redis,
    options: SharedJournalOptions = {},
  ) {
    this.endedTtlSec = options.endedTtlSec ?? 3600;
    this.liveTtlSec = options.liveTtlSec ?? 8 * 24 * 3600;
    this.submitGraceMs = options.submitGraceMs ?? 30_000;
  }

  async find(customId: string): Promise<JournaledBatch | undefined> {
    for (;;) {
      const local = await this.redis.get(REQUEST + customId);
      if (local === null) return undefined;
      const batch = await this.get(local);
      if (!batch || batch.batchId !== undefined || batch.ended) return batch;
      // Another worker wrote the intent and may be creating the batch now: wait for its id.
      if (Date.now() - batch.at >= this.submitGraceMs) return batch;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async intent(batch: BatchIntent): Promise<string[]> {
    const fields = JSON.stringify({
      provider: batch.provider,
      endpoint: batch.endpoint,
      model: batch.model,
      block: batch.block,
      at: batch.at,
    });
    const taken = await this.redis.eval(
      INTENT,
      1 + batch.requests.length,
      BATCH + batch.local,
      ...batch.requests.map((id) => REQUEST + id),
      batch.local,
      this.liveTtlSec,
      BATCH,
      fields,
      ...batch.requests,
    );
    return Array.isArray(taken) ? taken.map(String) : [];
  }

  async submitted(
    local: string,
    batchId: string,
    options: { provisional?: boolean } = {},
  ): Promise<void> {
    await this.redis.hset(BATCH + local, {
      batchId,
      provisional: options.provisional ? "1" : "0",
    });
  }

  async ended(local: string, status: BatchEnd): Promise<void> {
    await this.redis.eval(ENDED, 1, BATCH + local, local, status, this.endedTtlSec, REQUEST);
  }

  async list(): Promise<JournaledBatch[]> {
    const out: JournaledBatch[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${BATCH}*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        const batch = await this.get(key.slice(BATCH.length));
        if (batch) out.push(batch);
      }
    } while (cursor !== "0");
    return out.sort((a, b) => a.at - b.at);
  }

  /** One batch by its local id. */
  async get(local: string): Promise<JournaledBatch | undefined> {
    const h = await this.redis.hgetall(BATCH + local);
    if (!h.fields || !h.requests) return undefined;
    const fields = JSON.parse(h.fields) as Omit<BatchIntent, "local" | "requests">;
    const requests = JSON.parse(h.requests) as unknown;
    return {
      local,
      provider: String(fields.provider),
      endpoint: String(fields.endpoint),
      model: String(fields.model),
      block: String(fields.block),
      at: Number(fields.at),
      requests: Array.isArray(requests) ? requests.map(String) : [],
      batchId: h.batchId,
      provisional: h.provisional === "1",
      ended: h.ended as BatchEnd | undefined,
    };
  }
}
