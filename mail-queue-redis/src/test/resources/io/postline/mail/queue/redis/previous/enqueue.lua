-- ARGV[3] capacity (0 = none), then 5 per message: id, payload, priority index, delay ms, attempts.
-- Idempotent by id: a message whose id the queue holds (ready, scheduled, leased, dead-lettered,
-- or finished and still on record) is skipped. All or nothing: if the new messages would take the
-- queue over its capacity, none is stored. Returns how many were stored, or -1 (full).
local capacity = tonumber(ARGV[3])
local fresh, seen = {}, {}
for i = 4, #ARGV, 5 do
  local id = ARGV[i]
  if not seen[id] and redis.call('EXISTS', MP .. id) == 0 and not redis.call('ZSCORE', FIN, id) then
    seen[id] = true
    fresh[#fresh + 1] = i
  end
end
if #fresh == 0 then
  return 0
end
local count = redis.call('GET', COUNT)
if count then count = tonumber(count) else count = unfinished() end
if capacity > 0 and count + #fresh > capacity then
  return -1
end
local now = now_ms()
-- One INCRBY for the chunk: the ready messages take consecutive numbers from it (a delayed one
-- leaves its number unused; the numbers only order).
local seq = redis.call('INCRBY', SEQ, #fresh) - #fresh
for _, i in ipairs(fresh) do
  local id, pr, delay = ARGV[i], ARGV[i + 2], tonumber(ARGV[i + 3])
  local key = MP .. id
  if delay > 0 then
    local due = now + delay
    redis.call('HSET', key, 'p', ARGV[i + 1], 'pr', pr, 'a', ARGV[i + 4], 'd', n2s(due), 's', 'delayed')
    redis.call('ZADD', DELAYED, n2s(due), id)
  else
    seq = seq + 1
    redis.call('HSET', key, 'p', ARGV[i + 1], 'pr', pr, 'a', ARGV[i + 4], 'd', n2s(now), 's', 'ready')
    redis.call('ZADD', R[tonumber(pr) + 1], n2s(seq), id)
  end
end
redis.call('SET', COUNT, count + #fresh)
-- The message says how many workers may find work.
redis.call('PUBLISH', CHANNEL, tostring(#fresh))
return #fresh
