import type { Redis } from "ioredis";
import type {
  SpendCaps,
  SpendLedger,
  SpendRefusal,
  SpendTotals,
} from "../../../blocks/lm/spend-ledger.js";
import { KEY_PREFIX } from "./protocol.js";

/** How long a run's spend stays in Redis after its last change (s). */
const KEEP_SPEND_S = 7 * 24 * 3600;

// Check every cap against committed + reserved + the request's worst case, then reserve it; both in
// one script, so two workers can never both take the last of a budget. A refusal says which cap
// and where it stood (as strings: Redis would cut Lua numbers to integers).
// KEYS[1] the run's hash; ARGV: worst, run cap ('' = none), ttl, then (task, cap or '') pairs.
const RESERVE = `
local worst = tonumber(ARGV[1])
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
if ARGV[2] ~= '' and spent + reserved + worst > tonumber(ARGV[2]) then
  return {'run', '', ARGV[2], tostring(spent), tostring(reserved)}
end
local n = (#ARGV - 3) / 2
for i = 0, n - 1 do
  local task = ARGV[4 + 2 * i]
  local cap = ARGV[5 + 2 * i]
  if cap ~= '' then
    local s = tonumber(redis.call('HGET', KEYS[1], 's:' .. task) or '0')
    local r = tonumber(redis.call('HGET', KEYS[1], 'r:' .. task) or '0')
    if s + r + worst > tonumber(cap) then return {'task', task, cap, tostring(s), tostring(r)} end
  end
end
redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', worst)
local share = worst / math.max(1, n)
for i = 0, n - 1 do redis.call('HINCRBYFLOAT', KEYS[1], 'r:' .. ARGV[4 + 2 * i], share) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return false`;

// Free a reservation and count what the request cost. ARGV: worst, actual, ttl, then task names.
const SETTLE = `
local worst = tonumber(ARGV[1])
local actual = tonumber(ARGV[2])
redis.call('HINCRBYFLOAT', KEYS[1], 'reserved', -worst)
redis.call('HINCRBYFLOAT', KEYS[1], 'spent', actual)
local n = #ARGV - 3
for i = 1, n do
  redis.call('HINCRBYFLOAT', KEYS[1], 'r:' .. ARGV[3 + i], -worst / n)
  redis.call('HINCRBYFLOAT', KEYS[1], 's:' .. ARGV[3 + i], actual / n)
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`;

type ReserveReply = [string, string, string, string, string] | null;

interface LedgerCommands {
  digitSpendReserve(key: string, ...args: string[]): Promise<ReserveReply>;
  digitSpendSettle(key: string, ...args: string[]): Promise<number>;
}

/**
 * The Redis key of a distributed run's spend (one hash per coordinator run).
 *
 * @example
 * spendKey("3f2a9c01") // "digit:spend:3f2a9c01"
 */
export function spendKey(id: string): string {
  return `${KEY_PREFIX}:spend:${id}`;
}

/**
 * A run's spend in one Redis hash shared by the coordinator and every worker, so the caps hold
 * for the whole cluster: each reservation is checked and taken in one Lua script (atomic), and
 * settled the same way. A worker that dies mid-request leaves its reservation held (the cap then
 * stops the run a little early, never late).
 *
 * @example
 * const ledger = new RedisSpendLedger(redis, spendKey(runId), { run: 5 });
 * const refusal = await ledger.reserve(0.02, ["my/task"]);
 */
export class RedisSpendLedger implements SpendLedger {
  private readonly redis: Redis & LedgerCommands;

  constructor(
    redis: Redis,
    readonly key: string,
    private readonly caps: SpendCaps,
  ) {
    redis.defineCommand("digitSpendReserve", { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand("digitSpendSettle", { numberOfKeys: 1, lua: SETTLE });
    this.redis = redis as Redis & LedgerCommands;
  }

  async reserve(worst: number, tasks: readonly string[]): Promise<SpendRefusal | undefined> {
    const pairs = tasks.flatMap((t) => [t, capText(this.caps.tasks?.[t])]);
    const reply = await this.redis.digitSpendReserve(
      this.key,
      String(worst),
      capText(this.caps.run),
      String(KEEP_SPEND_S),
      ...pairs,
    );
    if (!reply) return undefined;
    const [scope, task, cap, spent, reserved] = reply;
    return {
      scope: scope === "run" ? { run: true } : { task },
      cap: Number(cap),
      spent: Number(spent),
      reserved: Number(reserved),
    };
  }

  async settle(worst: number, actual: number, tasks: readonly string[]): Promise<void> {
    await this.redis.digitSpendSettle(
      this.key,
      String(worst),
      String(actual),
      String(KEEP_SPEND_S),
      ...tasks,
    );
  }

  async addEarlier(task: string, usd: number): Promise<void> {
    await this.redis
      .multi()
      .hincrbyfloat(this.key, "spent", usd)
      .hincrbyfloat(this.key, `s:${task}`, usd)
      .expire(this.key, KEEP_SPEND_S)
      .exec();
  }

  /**
   * The totals as Redis has them; while Redis does not answer (an outage the run rides out, or
   * one that ends it) the last totals read, after `TOTALS_WAIT_MS`: a checkpoint never waits on
   * Redis for long.
   */
  async totals(): Promise<SpendTotals> {
    const read = this.redis.hgetall(this.key).then((all) => {
      const byTask: Record<string, number> = {};
      for (const [field, value] of Object.entries(all))
        if (field.startsWith("s:")) byTask[field.slice(2)] = Number(value);
      this.last = { spent: Number(all.spent ?? 0), reserved: Number(all.reserved ?? 0), byTask };
      return this.last;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<SpendTotals>((resolve) => {
      timer = setTimeout(() => resolve(this.last), TOTALS_WAIT_MS);
      timer.unref();
    });
    read.catch(() => undefined);
    try {
      return await Promise.race([read, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The totals last read from Redis. */
  private last: SpendTotals = { spent: 0, reserved: 0, byTask: {} };
}

/** How long `totals` waits for Redis before it answers with the last totals read (ms). */
const TOTALS_WAIT_MS = 1000;

function capText(cap: number | undefined): string {
  return cap === undefined ? "" : String(cap);
}
