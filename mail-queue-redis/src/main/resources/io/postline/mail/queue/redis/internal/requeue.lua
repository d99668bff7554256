-- ARGV[3] id. Puts a dead letter back, due now, attempts and lapses reset. Returns 1 or 0.
local id = ARGV[3]
local key = MP .. id
if redis.call('ZREM', DEAD, id) == 0 then
  return 0
end
redis.call('HDEL', key, 'k', 'r', 'da')
redis.call('HSET', key, 'a', '0', 'x', '0', 't', '0', 'd', n2s(now_ms()))
make_ready(id, key, redis.call('HGET', key, 'pr'))
count_add(1, 0)
redis.call('PUBLISH', CHANNEL, 'q')
return 1
