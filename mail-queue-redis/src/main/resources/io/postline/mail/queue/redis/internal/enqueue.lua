-- ARGV[3] capacity (0 = none), then 5 per message: id, payload, priority index, delay ms, attempts.
-- Idempotent by id: a message whose id the queue holds (ready, scheduled, leased, dead-lettered,
-- or finished and still on record) is skipped. All or nothing: if the new messages would take the
-- queue over its capacity, none is stored. Returns how many were stored, or -1 (full).
local capacity = tonumber(ARGV[3])
local fresh, seen = {}, {}
for i = 4, #ARGV, 5 do
  local id = ARGV[i]
  if not seen[id] and redis.call('EXISTS', MP .. id) == 0 then
    seen[id] = true
    fresh[#fresh + 1] = i
  end
end
if #fresh == 0 then
  return 0
end
if capacity > 0 then
  local total = redis.call('ZCARD', R[1]) + redis.call('ZCARD', R[2]) + redis.call('ZCARD', R[3])
    + redis.call('ZCARD', DELAYED) + redis.call('ZCARD', LEASED)
  if total + #fresh > capacity then
    return -1
  end
end
local now = now_ms()
for _, i in ipairs(fresh) do
  local id, pr, delay = ARGV[i], ARGV[i + 2], tonumber(ARGV[i + 3])
  local key = MP .. id
  local due = now
  if delay > 0 then due = now + delay end
  redis.call('HSET', key, 'p', ARGV[i + 1], 'pr', pr, 'a', ARGV[i + 4], 'd', n2s(due), 't', 0, 'x', 0)
  if delay > 0 then
    redis.call('HSET', key, 's', 'delayed')
    redis.call('ZADD', DELAYED, n2s(due), id)
  else
    make_ready(id, key, pr)
  end
end
-- The message says how many workers may find work.
redis.call('PUBLISH', CHANNEL, tostring(#fresh))
return #fresh
