-- ARGV[3] id  ARGV[4] payload  ARGV[5] priority index  ARGV[6] delay ms  ARGV[7] attempts
-- ARGV[8] capacity (0 = none). Returns 1 stored, 0 already there (a retried enqueue), -1 full.
local id, delay, capacity = ARGV[3], tonumber(ARGV[6]), tonumber(ARGV[8])
local key = MP .. id
if redis.call('EXISTS', key) == 1 then
  return 0
end
if capacity > 0 then
  local total = redis.call('ZCARD', R[1]) + redis.call('ZCARD', R[2]) + redis.call('ZCARD', R[3])
    + redis.call('ZCARD', DELAYED) + redis.call('ZCARD', LEASED)
  if total >= capacity then
    return -1
  end
end
local now = now_ms()
local due = now
if delay > 0 then due = now + delay end
redis.call('HSET', key, 'p', ARGV[4], 'pr', ARGV[5], 'a', ARGV[7], 'd', n2s(due), 't', 0, 'x', 0)
if delay > 0 then
  redis.call('HSET', key, 's', 'delayed')
  redis.call('ZADD', DELAYED, n2s(due), id)
else
  make_ready(id, key, ARGV[5])
end
redis.call('PUBLISH', CHANNEL, 'e')
return 1
