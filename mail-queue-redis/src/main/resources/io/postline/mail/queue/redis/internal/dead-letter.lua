-- ARGV[3] id  ARGV[4] token  ARGV[5] attempts  ARGV[6] kind  ARGV[7] reason
-- ARGV[8] dead max age ms  ARGV[9] dead max count. Returns 1 or 0.
local id, token = ARGV[3], ARGV[4]
local key = MP .. id
if not current(key, token) then
  if done_before(key, token, 'dead') then return 1 end
  return 0
end
local now = now_ms()
redis.call('ZREM', LEASED, id)
count_add(-1, 0)
redis.call('HSET', key, 's', 'dead', 'a', ARGV[5], 'k', ARGV[6], 'r', ARGV[7], 'da', n2s(now),
  't', 0, 'lt', token .. ':dead')
redis.call('ZADD', DEAD, n2s(now), id)
local trimmed = trim(DEAD, tonumber(ARGV[8]), tonumber(ARGV[9]), now)
if trimmed > 0 then redis.call('HINCRBY', STATS, 'trimmedDead', string.format('%d', trimmed)) end
return 1
