-- Shared by every queue script (prepended). One queue's keys, all under one hash tag:
-- KEYS[1..3] ready sets by priority (HIGH, NORMAL, LOW), score = readiness sequence number
-- KEYS[4] delayed (score = due time, ms, Redis clock)   KEYS[5] leased (score = lease expiry)
-- KEYS[6] dead (score = dead-lettered at)
-- KEYS[7] done: finished records of the previous version (a hash each), trimmed away by upkeep
-- KEYS[8] sequence counter  KEYS[9] fencing token counter  KEYS[10] stats hash
-- KEYS[11] count of unfinished messages (ready, scheduled, leased): the capacity check
-- KEYS[12] finished records: id -> the token of its last lease (its score: ~ its time in µs)
-- KEYS[13] when upkeep (lapsed leases, due messages, trims) last ran, ms
-- ARGV[1] message hash key prefix (same hash tag)  ARGV[2] wake-up channel
-- Message hash fields: p payload, pr priority index 0..2, a attempts, d due (ms), s state
-- (ready|delayed|leased|dead), t current lease token (absent or 0 if none), lt last completion
-- "token:op", x lease lapses, k/r/da dead kind/reason/at, rq the take request that leased it,
-- b the id of its group's shared body (payload version 2 only).
-- A finished message has no hash: only its member in KEYS[12].
-- A group's shared body: a hash at SP .. share id (the message prefix with 'g:' for 'm:'; same
-- hash tag), p the stored body, n how many message hashes name it in b. Every script that
-- deletes a message hash lets go of its share (delete_message), and the last one deletes it.
local R = {KEYS[1], KEYS[2], KEYS[3]}
local DELAYED, LEASED, DEAD, DONE, SEQ, FENCE, STATS = KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local COUNT, FIN, UPKEEP = KEYS[11], KEYS[12], KEYS[13]
local MP, CHANNEL = ARGV[1], ARGV[2]
local SP = string.sub(MP, 1, -3) .. 'g:'
-- The helpers below name their keys through KEYS and ARGV rather than the locals above: a
-- function that captures locals (upvalues) costs Redis a few microseconds more to make on every
-- call, made or not, and this library is made with every script call.

-- Numbers reach redis.call as text made here: Redis writes a Lua number argument with '%.17g'
-- (and '%.0f' did the same work), which costs a few times what '%d' does. Integers only.
local function n2s(n)
  return string.format('%d', n)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function unfinished()
  return redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3])
    + redis.call('ZCARD', KEYS[4]) + redis.call('ZCARD', KEYS[5])
end

-- Adds n to the unfinished count and returns it: one INCRBY. A counter that was missing (a queue
-- written by a version that kept none) or at zero, or fell below zero, is set from the sets
-- instead, plus the pending messages the caller has not added to them yet.
local function count_add(n, pending)
  local count = KEYS[11]
  local c = redis.call('INCRBY', count, string.format('%d', n))
  if c < 0 or c == n then
    c = unfinished() + pending
    redis.call('SET', count, string.format('%d', c))
  end
  return c
end

local function make_ready(id, key, pr)
  local seq = redis.call('INCR', KEYS[8])
  redis.call('HSET', key, 's', 'ready')
  redis.call('ZADD', KEYS[tonumber(pr) + 1], string.format('%d', seq), id)
end

-- Lets go of one reference to a group's shared body (b: its id, or false), deleting it with the last.
local function release_share(b)
  if b then
    local skey = string.sub(ARGV[1], 1, -3) .. 'g:' .. b
    if redis.call('HINCRBY', skey, 'n', '-1') <= 0 then
      redis.call('DEL', skey)
    end
  end
end

-- Deletes a message's hash, and lets go of its group's shared body if it names one.
local function delete_message(key)
  local b = redis.call('HGET', key, 'b')
  redis.call('DEL', key)
  release_share(b)
end

-- Deletes the oldest members of a set of records (and their hashes) past an age or a count,
-- at most 100 per call so that no script runs long; returns how many went.
local function trim(zkey, max_age, max_count, now)
  local mp = ARGV[1]
  local n = 0
  if max_age > 0 then
    local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', string.format('%d', now - max_age), 'LIMIT', '0', '100')
    for _, id in ipairs(old) do
      delete_message(mp .. id)
      redis.call('ZREM', zkey, id)
      n = n + 1
    end
  end
  if max_count >= 0 then
    local over = redis.call('ZCARD', zkey) - max_count
    if over > 0 then
      if over > 100 then over = 100 end
      local old = redis.call('ZRANGE', zkey, '0', string.format('%d', over - 1))
      for _, id in ipairs(old) do
        delete_message(mp .. id)
        redis.call('ZREM', zkey, id)
        n = n + 1
      end
    end
  end
  return n
end

-- Finished records past their age (scores are lease tokens, ~ µs) or count; no hashes to delete.
-- Acks only add records; this runs with the upkeep, so a queue holds at most the records of the
-- acks of a few milliseconds beyond the count.
local function trim_finished(max_age, max_count, now)
  local fin = KEYS[12]
  redis.call('ZREMRANGEBYSCORE', fin, '-inf', string.format('%d', (now - max_age) * 1000))
  local over = redis.call('ZCARD', fin) - max_count
  if over > 0 then
    redis.call('ZPOPMIN', fin, string.format('%d', math.min(over, 1000)))
  end
end

-- Returns messages whose lease lapsed to the queue, or to the dead letters once their leases
-- lapsed max_lapses times. Returns recovered, poisoned.
local function recover(now, max_lapses, dead_age, dead_count)
  local leased, dead, stats, mp = KEYS[5], KEYS[6], KEYS[10], ARGV[1]
  local ids = redis.call('ZRANGEBYSCORE', leased, '-inf', string.format('%d', now), 'LIMIT', '0', '100')
  local recovered, poisoned = 0, 0
  for _, id in ipairs(ids) do
    redis.call('ZREM', leased, id)
    local key = mp .. id
    local pr = redis.call('HGET', key, 'pr')
    if pr then
      local lapses = redis.call('HINCRBY', key, 'x', '1')
      redis.call('HSET', key, 't', '0')
      recovered = recovered + 1
      if lapses >= max_lapses then
        redis.call('HSET', key, 's', 'dead', 'k', 'PERMANENT', 'da', string.format('%d', now),
          'r', 'poison message: its lease lapsed ' .. lapses .. ' times (each time its worker died or hung while sending it)')
        redis.call('ZADD', dead, string.format('%d', now), id)
        poisoned = poisoned + 1
      else
        make_ready(id, key, pr)
      end
    end
  end
  if recovered > 0 then
    redis.call('HINCRBY', stats, 'recovered', string.format('%d', recovered))
  end
  if poisoned > 0 then
    count_add(-poisoned, 0)
    redis.call('HINCRBY', stats, 'poisoned', string.format('%d', poisoned))
    local trimmed = trim(dead, dead_age, dead_count, now)
    if trimmed > 0 then redis.call('HINCRBY', stats, 'trimmedDead', string.format('%d', trimmed)) end
  end
  if recovered > 0 then
    redis.call('PUBLISH', ARGV[2], 'r')
  end
  return recovered, poisoned
end

-- Moves due scheduled messages to the ready sets, in the order they fell due.
local function promote(now)
  local delayed, mp = KEYS[4], ARGV[1]
  local ids = redis.call('ZRANGEBYSCORE', delayed, '-inf', string.format('%d', now), 'LIMIT', '0', '1000')
  for _, id in ipairs(ids) do
    redis.call('ZREM', delayed, id)
    local key = mp .. id
    local pr = redis.call('HGET', key, 'pr')
    if pr then
      make_ready(id, key, pr)
    end
  end
  return #ids
end

-- Whether upkeep (lapsed leases, due messages, trims) is due: at most every 5 ms on the hot path,
-- and at once after the clock went back; marks it done if so.
local function upkeep_due(now)
  local upkeep = KEYS[13]
  local last = tonumber(redis.call('GET', upkeep) or '0')
  if now - last < 5 and now >= last then
    return false
  end
  redis.call('SET', upkeep, string.format('%d', now))
  return true
end

-- The lease of id is current with token: the message is leased and holds that token. Also
-- returns the id of its group's shared body (false if none).
local function current(key, token)
  local f = redis.call('HMGET', key, 's', 't', 'b')
  return f[1] == 'leased' and f[2] == token, f[3]
end

-- A completion with this token and op already happened (a retried call after a lost reply).
local function done_before(key, token, op)
  return redis.call('HGET', key, 'lt') == token .. ':' .. op
end
