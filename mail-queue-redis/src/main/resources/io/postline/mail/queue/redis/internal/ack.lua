-- ARGV[3] finished max age ms  ARGV[4] finished max count (0 = keep no record; age and count are
-- trimmed by upkeep), then per lease: id, token. Returns per lease 1 (acked) or 0 (its lease is no
-- longer current).
-- A message's hash goes at once; what stays is its member in the finished set, scored by its
-- token, which keeps a repeated enqueue of the id a no-op and answers a repeated ack. The leases
-- acked are removed, their hashes deleted and their records added with one call each.
local keep = tonumber(ARGV[4]) > 0
local out, ids, hashes, records = {}, {}, {}, {}
for i = 5, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local key = MP .. id
  local leased, share = current(key, token)
  if leased then
    ids[#ids + 1] = id
    hashes[#hashes + 1] = key
    records[#records + 1] = token
    records[#records + 1] = id
    release_share(share)
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
if #ids > 0 then
  redis.call('ZREM', LEASED, unpack(ids))
  redis.call('DEL', unpack(hashes))
  -- Trimmed to the count by the takers' upkeep (trim_finished), not here.
  if keep then
    redis.call('ZADD', FIN, unpack(records))
  end
  count_add(-#ids, 0)
end
return out
