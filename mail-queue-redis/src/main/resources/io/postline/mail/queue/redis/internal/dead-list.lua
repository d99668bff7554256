-- ARGV[3] limit. Returns, newest first, per dead letter: id, payload, attempts, due, kind, reason,
-- dead at, its group's shared body (empty if none).
local ids = redis.call('ZREVRANGE', DEAD, '0', string.format('%d', tonumber(ARGV[3]) - 1))
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', MP .. id, 'p', 'a', 'd', 'k', 'r', 'da', 'b')
  if f[1] then
    table.insert(out, id)
    for i = 1, 6 do table.insert(out, f[i] or '') end
    table.insert(out, f[7] and redis.call('HGET', SP .. f[7], 'p') or '')
  end
end
return out
