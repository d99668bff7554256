-- ARGV[3..] pairs of id, token: leases taken but not worked, in the order they were taken.
-- Each message whose lease is current goes back to its ready set at once, attempts unchanged and
-- no lapse counted, ahead of every message of its priority that is ready now (those became due
-- after it: the ready sets are ordered by a sequence that only grows), the first taken first.
-- A retried call after a lost reply answers as the first did. Returns how many went back.
local released = 0
local front = {}
for i = #ARGV - 1, 3, -2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local key = MP .. id
  if current(key, token) then
    local p = tonumber(redis.call('HGET', key, 'pr')) + 1
    local score = front[p]
    if not score then
      local first = redis.call('ZRANGE', R[p], '0', '0', 'WITHSCORES')
      if #first > 0 then
        score = tonumber(first[2])
      else
        -- Nothing ready: below the next number a message becoming ready will get.
        score = tonumber(redis.call('GET', SEQ) or '0') + 1
      end
    end
    score = score - 1
    front[p] = score
    redis.call('ZREM', LEASED, id)
    redis.call('HSET', key, 's', 'ready', 't', '0', 'lt', token .. ':release')
    redis.call('ZADD', R[p], n2s(score), id)
    released = released + 1
  elseif done_before(key, token, 'release') then
    released = released + 1
  end
end
if released > 0 then
  redis.call('PUBLISH', CHANNEL, string.format('%d', released))
end
return released
