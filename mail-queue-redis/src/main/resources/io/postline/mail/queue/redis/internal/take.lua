-- ARGV[3] lease ms  ARGV[4] max lapses  ARGV[5] dead max age ms  ARGV[6] dead max count
-- ARGV[7] this take's request key (same hash tag): a take repeated after its reply was lost
-- (a dropped connection) gets the same leases back instead of leaving them to lapse.
-- ARGV[8] the most messages to lease.
-- Returns {n, more, recovered, poisoned, then per lease: id, token, expires, payload, attempts, due}
--   (more = 1 if messages are still ready after these)
--   or {0, ms until something may be due (-1 if nothing is scheduled or leased), recovered, poisoned}
local lease_ms, RQ, max = tonumber(ARGV[3]), ARGV[7], tonumber(ARGV[8])
local now = now_ms()
local prior = redis.call('GET', RQ)
if prior then
  local out = {0, 0, 0, 0}
  for _, id in ipairs(cmsgpack.unpack(prior)) do
    local f = redis.call('HMGET', MP .. id, 's', 't', 'rq', 'p', 'a', 'd')
    local exp = redis.call('ZSCORE', LEASED, id)
    if f[1] == 'leased' and f[3] == RQ and exp then
      out[1] = out[1] + 1
      local n = #out
      out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6] =
        id, f[2], n2s(tonumber(exp)), f[4], f[5], f[6]
    end
  end
  if out[1] > 0 then return out end
end
local recovered, poisoned = recover(now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
promote(now)
local out = {0, 0, recovered, poisoned}
local ids = {}
local expires = now + lease_ms
for p = 1, 3 do
  while #ids < max do
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
      redis.call('HSET', key, 's', 'leased', 't', n2s(token), 'rq', RQ)
      redis.call('ZADD', LEASED, n2s(expires), id)
      local f = redis.call('HMGET', key, 'p', 'a', 'd')
      ids[#ids + 1] = id
      local n = #out
      out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6] =
        id, n2s(token), n2s(expires), f[1], f[2], f[3]
    end
  end
end
if #ids > 0 then
  redis.call('SET', RQ, cmsgpack.pack(ids), 'PX', lease_ms)
  out[1] = #ids
  if redis.call('ZCARD', R[1]) + redis.call('ZCARD', R[2]) + redis.call('ZCARD', R[3]) > 0 then out[2] = 1 end
  return out
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
