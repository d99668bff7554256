-- ARGV[3] finished max age ms  ARGV[4] finished max count (0 = keep no record; age and count are
-- trimmed by upkeep), then per lease: id, token. Returns per lease 1 (acked) or 0 (its lease is no
-- longer current).
-- A message's hash goes at once; what stays is its member in the finished set, scored by its
-- token, which keeps a repeated enqueue of the id a no-op and answers a repeated ack.
local keep = tonumber(ARGV[4]) > 0
local out, acked = {}, 0
for i = 5, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local key = MP .. id
  local leased, share = current(key, token)
  if leased then
    redis.call('ZREM', LEASED, id)
    redis.call('DEL', key)
    release_share(share)
    acked = acked + 1
    -- Trimmed to the count by the takers' upkeep (trim_finished), not here.
    if keep then
      redis.call('ZADD', FIN, token, id)
    end
    out[#out + 1] = 1
  else
    local fin = redis.call('ZSCORE', FIN, id)
    if (fin and tonumber(fin) == tonumber(token)) or done_before(key, token, 'ack') then
      out[#out + 1] = 1
    else
      out[#out + 1] = 0
    end
  end
end
if acked > 0 then
  count_add(-acked, 0)
end
return out
