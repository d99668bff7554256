-- ARGV[3] id, or empty for a batch of up to 1000 of the oldest. Returns how many were deleted
-- (with them, the group shared bodies no other message names).
local ids
if ARGV[3] ~= '' then
  ids = {ARGV[3]}
else
  ids = redis.call('ZRANGE', DEAD, '0', '999')
end
local n = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', DEAD, id) == 1 then
    delete_message(MP .. id)
    n = n + 1
  end
end
return n
