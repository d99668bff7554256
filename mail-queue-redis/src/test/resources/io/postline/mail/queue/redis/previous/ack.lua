-- ARGV[3] id  ARGV[4] token  ARGV[5] finished max age ms (trimmed by upkeep)  ARGV[6] finished
-- max count (0 = keep no record). Returns 1 or 0.
-- The message's hash goes at once; what stays is its member in the finished set, scored by its
-- token, which keeps a repeated enqueue of the id a no-op and answers a repeated ack.
local id, token = ARGV[3], ARGV[4]
local key = MP .. id
if not current(key, token) then
  local fin = redis.call('ZSCORE', FIN, id)
  if (fin and tonumber(fin) == tonumber(token)) or done_before(key, token, 'ack') then return 1 end
  return 0
end
redis.call('ZREM', LEASED, id)
redis.call('DEL', key)
count_add(-1)
local max_count = tonumber(ARGV[6])
if max_count > 0 then
  redis.call('ZADD', FIN, token, id)
  local over = redis.call('ZCARD', FIN) - max_count
  if over > 0 then redis.call('ZPOPMIN', FIN, math.min(over, 100)) end
end
return 1
