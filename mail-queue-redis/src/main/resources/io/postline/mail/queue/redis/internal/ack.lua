-- ARGV[3] id  ARGV[4] token  ARGV[5] done max age ms  ARGV[6] done max count. Returns 1 or 0.
local id, token = ARGV[3], ARGV[4]
local key = MP .. id
if not current(key, token) then
  if done_before(key, token, 'ack') then return 1 end
  return 0
end
local now = now_ms()
redis.call('ZREM', LEASED, id)
redis.call('HDEL', key, 'p')
redis.call('HSET', key, 's', 'done', 't', 0, 'lt', token .. ':ack', 'f', n2s(now))
redis.call('ZADD', DONE, n2s(now), id)
trim(DONE, tonumber(ARGV[5]), tonumber(ARGV[6]), now)
return 1
