-- ARGV[3] id  ARGV[4] token  ARGV[5] delay ms  ARGV[6] attempts. Returns 1 or 0.
local id, token, delay = ARGV[3], ARGV[4], tonumber(ARGV[5])
local key = MP .. id
if not current(key, token) then
  if done_before(key, token, 'reschedule') then return 1 end
  return 0
end
local now = now_ms()
local due = now
if delay > 0 then due = now + delay end
redis.call('ZREM', LEASED, id)
redis.call('HSET', key, 'a', ARGV[6], 'd', n2s(due), 't', '0', 'lt', token .. ':reschedule')
if delay > 0 then
  redis.call('HSET', key, 's', 'delayed')
  redis.call('ZADD', DELAYED, n2s(due), id)
else
  make_ready(id, key, redis.call('HGET', key, 'pr'))
end
redis.call('PUBLISH', CHANNEL, 's')
return 1
