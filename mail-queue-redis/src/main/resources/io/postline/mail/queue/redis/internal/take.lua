-- ARGV[3] max lapses  ARGV[4] dead max age ms  ARGV[5] dead max count  ARGV[6] finished max age
-- ms  ARGV[7] finished max count, then 5 per take carried (the takes of several worker threads go
-- together in one call): its taker's request key (same hash tag; one per worker thread,
-- overwritten by its next take, expiring with the lease), its request id, the most messages to
-- lease, the lease ms, and 1 if an earlier try of this take may have run and lost its reply (a
-- dropped connection, a timeout; then the leases it made are handed back instead of being left to
-- lapse), else 0.
-- Returns {recovered, poisoned, then per take: n, more, wait, then per lease: id, token, expires,
-- payload, attempts, due, share; then the shares}: more = 1 if messages are still ready after
-- this take's; wait = ms until something may be due (a scheduled message, a lease to lapse; -1 if
-- nothing is), given when nothing more is ready (n may be 0), else -1; share = 0 for a message
-- stored whole, else k: its group's shared body is the k-th after the last take's leases (each
-- share once per reply). The takes are served in order: the first gets the first messages.
local now = now_ms()
local shares, share_at = {}, {}
-- The reply's number for the shared body b (false: none, 0), read once per reply.
local function share_of(b)
  if not b then return 0 end
  local k = share_at[b]
  if not k then
    shares[#shares + 1] = redis.call('HGET', SP .. b, 'p') or ''
    k = #shares
    share_at[b] = k
  end
  return k
end

local out = {0, 0}
local recovered_once = false
local function recover_and_promote()
  recovered_once = true
  local r, p = recover(now, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
  out[1], out[2] = out[1] + r, out[2] + p
  promote(now)
end
-- Upkeep at most every few ms (not on every take): lapsed leases, due messages, trims.
if upkeep_due(now) then
  recover_and_promote()
  trim_finished(tonumber(ARGV[6]), tonumber(ARGV[7]), now)
  trim(DONE, tonumber(ARGV[6]), tonumber(ARGV[7]), now)
end

-- The leases a lost reply of this request carried, added to out; how many.
local function leased_before(rq, req)
  local prior = redis.call('GET', rq)
  if not prior then return 0 end
  local ids = cmsgpack.unpack(prior)
  if ids[1] ~= req then return 0 end
  local n = 0
  for i = 2, #ids do
    local id = ids[i]
    local f = redis.call('HMGET', MP .. id, 's', 't', 'rq', 'p', 'a', 'd', 'b')
    local exp = redis.call('ZSCORE', LEASED, id)
    if f[1] == 'leased' and f[3] == req and exp then
      n = n + 1
      local o = #out
      out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5], out[o + 6], out[o + 7] =
        id, f[2], n2s(tonumber(exp)), f[4], f[5], f[6], share_of(f[7])
    end
  end
  return n
end

-- Members for one ZADD to the leased set: expiry, id, ...
local leased = {}
-- Leases up to max messages for request req until expires, highest priority first, adding them
-- to out; returns the ids taken (the request id first) and the priority it stopped at (4: it ran
-- out). Each priority's messages are popped with one ZPOPMIN and their tokens drawn with one
-- INCRBY; the leases of the whole call are added with one ZADD at its end.
local function pop(req, max, expires)
  local taken = {req}
  local stopped = 4
  for p = 1, 3 do
    while #taken <= max do
      local want = max + 1 - #taken
      local popped = redis.call('ZPOPMIN', R[p], string.format('%d', want))
      local n = #popped / 2
      if n > 0 then
        -- Fencing tokens grow with every lease, and never fall below Redis's clock in
        -- microseconds: a counter lost with a failover or a restart without persistence cannot
        -- hand out a token an old lease still holds.
        local token = redis.call('INCRBY', FENCE, string.format('%d', n)) - n + 1
        local floor = now * 1000
        if token < floor then
          token = floor
          redis.call('SET', FENCE, n2s(floor + n - 1))
        end
        for k = 1, 2 * n, 2 do
          local id = popped[k]
          local key = MP .. id
          local f = redis.call('HMGET', key, 'p', 'a', 'd', 'b')
          -- A message whose hash is gone leaves its place to the next.
          if f[1] then
            local t = n2s(token)
            redis.call('HSET', key, 's', 'leased', 't', t, 'rq', req)
            taken[#taken + 1] = id
            leased[#leased + 1] = expires
            leased[#leased + 1] = id
            local o = #out
            out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5], out[o + 6], out[o + 7] =
              id, t, expires, f[1], f[2], f[3], share_of(f[4])
          end
          token = token + 1
        end
      end
      if n < want then break end -- this priority is empty
    end
    if #taken > max then
      stopped = p
      break
    end
  end
  return taken, stopped
end

-- When something is next due: the first scheduled message or the first lease to lapse (-1: none).
local next_at = false
local function next_due()
  if not next_at then
    next_at = -1
    local first = redis.call('ZRANGE', DELAYED, '0', '0', 'WITHSCORES')
    if #first > 0 then next_at = tonumber(first[2]) end
    local lease = redis.call('ZRANGE', LEASED, '0', '0', 'WITHSCORES')
    if #lease > 0 and (next_at < 0 or tonumber(lease[2]) < next_at) then next_at = tonumber(lease[2]) end
  end
  return next_at
end

-- Set once a take came back short: nothing is ready for the takes after it.
local empty = false
for at = 8, #ARGV, 5 do
  local rq, req, max, lease_ms = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2]), ARGV[at + 3]
  local expires = n2s(now + tonumber(lease_ms))
  local head = #out + 1
  out[head], out[head + 1], out[head + 2] = 0, 0, -1
  local n = 0
  if ARGV[at + 4] == '1' then
    n = leased_before(rq, req)
  end
  if n > 0 then
    out[head + 1] = 1 -- it may have missed what came since: look again soon
  elseif not empty then
    local taken, stopped = pop(req, max, expires)
    if #taken == 1 and not recovered_once then
      local due = next_due()
      if due >= 0 and due <= now then
        -- Nothing ready but something due: move it now rather than at the next upkeep.
        recover_and_promote()
        next_at = false
        taken, stopped = pop(req, max, expires)
      end
    end
    n = #taken - 1
    if n > 0 then
      redis.call('SET', rq, cmsgpack.pack(taken), 'PX', lease_ms)
      -- It stopped because it had enough: is more ready, at that priority or below?
      for p = stopped, 3 do
        if redis.call('ZCARD', R[p]) > 0 then
          out[head + 1] = 1
          break
        end
      end
    end
    if out[head + 1] == 0 then
      empty = true
    end
  end
  out[head] = n
  if out[head + 1] == 0 then
    -- Nothing more is ready: until when the taker may wait for a notification.
    local due = next_due()
    if due >= 0 then
      local wait = due - now
      if wait < 0 then wait = 0 end
      out[head + 2] = n2s(wait)
    end
  end
end
if #leased > 0 then
  redis.call('ZADD', LEASED, unpack(leased))
end
for _, body in ipairs(shares) do out[#out + 1] = body end
return out
