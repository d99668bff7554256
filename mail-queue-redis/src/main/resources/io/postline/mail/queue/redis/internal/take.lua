-- ARGV[3] lease ms  ARGV[4] max lapses  ARGV[5] dead max age ms  ARGV[6] dead max count
-- Returns {1, id, token, expires, payload, attempts, due, recovered, poisoned}
--      or {0, ms until something may be due (-1 if nothing is scheduled or leased), recovered, poisoned}
-- ARGV[7] this take's request key (same hash tag): a take repeated after its reply was lost
-- (a dropped connection) gets the same lease back instead of leaving it to lapse.
local lease_ms = tonumber(ARGV[3])
local RQ = ARGV[7]
local now = now_ms()
local prior = redis.call('GET', RQ)
if prior then
  local f = redis.call('HMGET', MP .. prior, 's', 't', 'rq', 'p', 'a', 'd')
  local exp = redis.call('ZSCORE', LEASED, prior)
  if f[1] == 'leased' and f[3] == RQ and exp then
    return {1, prior, f[2], n2s(tonumber(exp)), f[4], f[5], f[6], 0, 0}
  end
end
local recovered, poisoned = recover(now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
promote(now)
for p = 1, 3 do
  while true do
    local popped = redis.call('ZPOPMIN', R[p], 1)
    if #popped == 0 then break end
    local id = popped[1]
    local key = MP .. id
    if redis.call('EXISTS', key) == 1 then
      -- Fencing tokens grow with every lease, and never fall below Redis's clock in
      -- microseconds: a counter lost with a failover or a restart without persistence cannot
      -- hand out a token an old lease still holds.
      local token = redis.call('INCR', FENCE)
      local floor = now * 1000
      if token < floor then
        token = floor
        redis.call('SET', FENCE, n2s(floor))
      end
      local expires = now + lease_ms
      redis.call('HSET', key, 's', 'leased', 't', n2s(token), 'rq', RQ)
      redis.call('ZADD', LEASED, n2s(expires), id)
      redis.call('SET', RQ, id, 'PX', lease_ms)
      local f = redis.call('HMGET', key, 'p', 'a', 'd')
      return {1, id, n2s(token), n2s(expires), f[1], f[2], f[3], recovered, poisoned}
    end
  end
end
local next_at = -1
local first = redis.call('ZRANGE', DELAYED, 0, 0, 'WITHSCORES')
if #first > 0 then next_at = tonumber(first[2]) end
local lease = redis.call('ZRANGE', LEASED, 0, 0, 'WITHSCORES')
if #lease > 0 and (next_at < 0 or tonumber(lease[2]) < next_at) then next_at = tonumber(lease[2]) end
local wait = -1
if next_at >= 0 then
  wait = next_at - now
  if wait < 0 then wait = 0 end
end
return {0, n2s(wait), recovered, poisoned}
