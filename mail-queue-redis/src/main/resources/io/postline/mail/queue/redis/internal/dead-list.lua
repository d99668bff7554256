-- ARGV[3] limit. Returns, newest first, per dead letter: id, payload, attempts, due, kind, reason, dead at.
local ids = redis.call('ZREVRANGE', DEAD, 0, tonumber(ARGV[3]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', MP .. id, 'p', 'a', 'd', 'k', 'r', 'da')
  if f[1] then
    table.insert(out, id)
    for i = 1, 6 do table.insert(out, f[i] or '') end
  end
end
return out
