-- ARGV[3] capacity (0 = none), ARGV[4] S: how many group shared bodies follow, then S pairs:
-- share id, stored body; then 6 per message: id, payload, priority index, delay ms, attempts,
-- share (1..S: the message's body is that share's; 0: none, the payload is whole).
-- Idempotent by id: a message whose id the queue holds (ready, scheduled, leased, dead-lettered,
-- or finished and still on record) is skipped. All or nothing: if the new messages would take the
-- queue over its capacity, none is stored. Returns how many were stored, or -1 (full).
-- A share counts the stored messages naming it (n); it is stored with the first (a later chunk
-- of the same group, or a retry, only counts its new messages), and deleted with the last.
local capacity = tonumber(ARGV[3])
local shares = tonumber(ARGV[4])
local first = 5 + 2 * shares
local fresh, seen = {}, {}
for i = first, #ARGV, 6 do
  local id = ARGV[i]
  if not seen[id] and redis.call('EXISTS', MP .. id) == 0 and not redis.call('ZSCORE', FIN, id) then
    seen[id] = true
    fresh[#fresh + 1] = i
  end
end
if #fresh == 0 then
  return 0
end
-- Counted first and taken back if that is over the capacity: all or nothing.
if count_add(#fresh, #fresh) > capacity and capacity > 0 then
  redis.call('INCRBY', COUNT, string.format('%d', -#fresh))
  return -1
end
if shares > 0 then
  local refs = {}
  for _, i in ipairs(fresh) do
    local sh = tonumber(ARGV[i + 5])
    if sh > 0 then refs[sh] = (refs[sh] or 0) + 1 end
  end
  for sh, n in pairs(refs) do
    local at = 3 + 2 * sh
    local skey = SP .. ARGV[at]
    if redis.call('HINCRBY', skey, 'n', string.format('%d', n)) == n then
      redis.call('HSET', skey, 'p', ARGV[at + 1])
    end
  end
end
-- A message's hash; b: the id of its group's shared body, if it names one.
local function store(key, i, due, state, b)
  if b then
    redis.call('HSET', key, 'p', ARGV[i + 1], 'pr', ARGV[i + 2], 'a', ARGV[i + 4], 'd', due, 's', state, 'b', b)
  else
    redis.call('HSET', key, 'p', ARGV[i + 1], 'pr', ARGV[i + 2], 'a', ARGV[i + 4], 'd', due, 's', state)
  end
end
local now = now_ms()
local now_s = n2s(now)
-- One INCRBY for the chunk: the ready messages take consecutive numbers from it (a delayed one
-- leaves its number unused; the numbers only order).
local seq = redis.call('INCRBY', SEQ, string.format('%d', #fresh)) - #fresh
-- The members each sorted set gets, added with one ZADD per set (score, member, ...; a chunk is
-- at most 500 messages, well within what unpack can pass).
local adds = {}
local function add(set, score, id)
  local a = adds[set]
  if not a then
    a = {}
    adds[set] = a
  end
  a[#a + 1] = score
  a[#a + 1] = id
end
for _, i in ipairs(fresh) do
  local id, pr, delay = ARGV[i], ARGV[i + 2], tonumber(ARGV[i + 3])
  local key = MP .. id
  local sh = tonumber(ARGV[i + 5])
  local b = sh > 0 and ARGV[3 + 2 * sh]
  if delay > 0 then
    local due = n2s(now + delay)
    store(key, i, due, 'delayed', b)
    add(DELAYED, due, id)
  else
    seq = seq + 1
    store(key, i, now_s, 'ready', b)
    add(R[tonumber(pr) + 1], n2s(seq), id)
  end
end
for set, a in pairs(adds) do
  redis.call('ZADD', set, unpack(a))
end
-- The message says how many workers may find work.
redis.call('PUBLISH', CHANNEL, string.format('%d', #fresh))
return #fresh
