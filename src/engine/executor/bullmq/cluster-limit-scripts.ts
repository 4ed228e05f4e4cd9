/**
 * The Lua scripts of the cluster-wide semaphore (cluster-limit.ts), each run atomically by Redis.
 * Time comes from the Redis server, so machines with skewed clocks agree on when a lease expires.
 *
 * Keys of one semaphore `K`: `K` (sorted set of leases scored by expiry), `K:waiting` (someone
 * failed to get a slot recently), `K:released` (pub/sub channel), `K:limit` (the cluster's
 * adaptive limit while it is below the configured one) and `K:gen` (its decrease generation).
 */

/**
 * Take a slot if fewer than min(configured, adaptive) unexpired leases exist: returns
 * `{1, generation}`; else mark that someone waits and return `{0, 0}`.
 * KEYS: set, waiting, limit, gen. ARGV: configured, leaseMs, token, waitingMarkMs.
 */
export const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(ARGV[1])
local shared = tonumber(redis.call('GET', KEYS[3]) or '')
if shared then limit = math.min(limit, math.max(1, math.floor(shared))) end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return {1, tonumber(redis.call('GET', KEYS[4]) or '0')}
end
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[4]))
return {0, 0}`;

/**
 * Give a slot back and adapt the cluster's limit to how the request ended, as each process's
 * AdaptiveLimiter does locally: a 429 caps the limit at the requests still in flight and, once
 * per generation (the first 429 of a request admitted since the last decrease), multiplies it by
 * 0.85; a success adds about one slot per `limit` successes up to the configured limit. Announce
 * the release only while someone failed to get a slot recently, so an unbounded credential costs
 * no pub/sub traffic.
 * KEYS: set, waiting, channel, limit, gen. ARGV: token, outcome (ok | rate_limited | error |
 * none), the slot's generation, configured, adaptive (1 | 0), memoryMs (how long an adapted
 * limit outlives the last request that changed it).
 */
export const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[5] == '1' then
  local configured = tonumber(ARGV[4])
  local memory = tonumber(ARGV[6])
  if ARGV[2] == 'rate_limited' then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    local cur = math.min(configured, tonumber(redis.call('GET', KEYS[4]) or ARGV[4]))
    local nxt = math.min(cur, math.max(1, redis.call('ZCARD', KEYS[1])))
    local gen = tonumber(redis.call('GET', KEYS[5]) or '0')
    if tonumber(ARGV[3]) == gen then
      nxt = math.min(nxt, math.max(1, cur * 0.85))
      redis.call('SET', KEYS[5], tostring(gen + 1), 'PX', memory)
    end
    redis.call('SET', KEYS[4], tostring(nxt), 'PX', memory)
  elseif ARGV[2] == 'ok' then
    local cur = tonumber(redis.call('GET', KEYS[4]) or '')
    if cur then
      cur = cur + 1 / cur
      if cur >= configured then redis.call('DEL', KEYS[4])
      else redis.call('SET', KEYS[4], tostring(cur), 'PX', memory) end
    end
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PUBLISH', KEYS[3], '1') end
return 1`;

/**
 * Extend the leases still held (XX: never resurrect one that expired and was reclaimed).
 * KEYS: set. ARGV: tokens..., leaseMs.
 */
export const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #ARGV - 1 do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[#ARGV]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[#ARGV]) * 2)
return 1`;
