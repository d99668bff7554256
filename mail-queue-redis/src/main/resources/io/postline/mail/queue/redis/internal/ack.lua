-- ARGV[3] id  ARGV[4] token  ARGV[5] finished max age ms  ARGV[6] finished max count (0 = keep no
-- record; age and count are trimmed by upkeep). Returns 1 or 0.
-- The message's hash goes at once; what stays is its member in the finished set, scored by its
-- token, which keeps a repeated enqueue of the id a no-op and answers a repeated ack.
local id, token = ARGV[3], ARGV[4]
local key = MP .. id
local leased, share = current(key, token)
if not leased then
  local fin = redis.call('ZSCORE', FIN, id)
  if (fin and tonumber(fin) == tonumber(token)) or done_before(key, token, 'ack') then return 1 end
  return 0
end
redis.call('ZREM', LEASED, id)
redis.call('DEL', key)
release_share(share)
count_add(-1, 0)
-- Trimmed to the count by the takers' upkeep (trim_finished), not here.
if tonumber(ARGV[6]) > 0 then
  redis.call('ZADD', FIN, token, id)
end
return 1
