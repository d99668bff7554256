-- ARGV[3] lease ms  ARGV[4] max lapses  ARGV[5] dead max age ms  ARGV[6] dead max count
-- ARGV[7] the taking worker's request key (same hash tag; one per worker thread, overwritten by
-- its next take, expiring with the lease)  ARGV[8] this take's request id  ARGV[9] the most
-- messages to lease  ARGV[10] finished max age ms  ARGV[11] finished max count  ARGV[12] 1 if
-- an earlier try of this take may have run and lost its reply (a dropped connection, a timeout):
-- then the leases it made are handed back instead of being left to lapse, else 0.
-- Returns {n, more, recovered, poisoned, wait, then per lease: id, token, expires, payload, attempts,
-- due, share; then the shares}: more = 1 if messages are still ready after these; wait = ms until
-- something may be due (a scheduled message, a lease to lapse; -1 if nothing is), given when
-- nothing more is ready (n may be 0), else -1; share = 0 for a message stored whole, else k: its
-- group's shared body is the k-th after the last lease (each share once per reply).
local lease_ms, RQ, REQ, max = tonumber(ARGV[3]), ARGV[7], ARGV[8], tonumber(ARGV[9])
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
local function with_shares(out)
  for _, body in ipairs(shares) do out[#out + 1] = body end
  return out
end
if ARGV[12] == '1' then
  local prior = redis.call('GET', RQ)
  if prior then
    local ids = cmsgpack.unpack(prior)
    if ids[1] == REQ then
      local out = {0, 1, 0, 0, -1}
      for i = 2, #ids do
        local id = ids[i]
        local f = redis.call('HMGET', MP .. id, 's', 't', 'rq', 'p', 'a', 'd', 'b')
        local exp = redis.call('ZSCORE', LEASED, id)
        if f[1] == 'leased' and f[3] == REQ and exp then
          out[1] = out[1] + 1
          local n = #out
          out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6], out[n + 7] =
            id, f[2], n2s(tonumber(exp)), f[4], f[5], f[6], share_of(f[7])
        end
      end
      if out[1] > 0 then return with_shares(out) end
    end
  end
end

local recovered, poisoned = 0, 0
local function recover_and_promote()
  local r, p = recover(now, tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
  recovered, poisoned = recovered + r, poisoned + p
  promote(now)
end
-- Upkeep at most every few ms (not on every take): lapsed leases, due messages, trims.
if upkeep_due(now) then
  recover_and_promote()
  trim_finished(tonumber(ARGV[10]), tonumber(ARGV[11]), now)
  trim(DONE, tonumber(ARGV[10]), tonumber(ARGV[11]), now)
end

local out = {0, 0, 0, 0, -1}
local taken = {REQ}
local expires = n2s(now + lease_ms)
-- Leases up to max messages, highest priority first; returns the priority it stopped at. Each
-- priority's messages are popped with one ZPOPMIN, their tokens drawn with one INCRBY and their
-- leases added with one ZADD.
local function pop()
  local leased = {}
  local stopped = 4
  for p = 1, 3 do
    while #taken <= max do
      local want = max + 1 - #taken
      local popped = redis.call('ZPOPMIN', R[p], want)
      local n = #popped / 2
      if n > 0 then
        -- Fencing tokens grow with every lease, and never fall below Redis's clock in
        -- microseconds: a counter lost with a failover or a restart without persistence cannot
        -- hand out a token an old lease still holds.
        local token = redis.call('INCRBY', FENCE, n) - n + 1
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
            redis.call('HSET', key, 's', 'leased', 't', t, 'rq', REQ)
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
  if #leased > 0 then
    redis.call('ZADD', LEASED, unpack(leased))
  end
  return stopped
end

-- When something is next due: the first scheduled message or the first lease to lapse (-1: none).
local function next_due()
  local at = -1
  local first = redis.call('ZRANGE', DELAYED, 0, 0, 'WITHSCORES')
  if #first > 0 then at = tonumber(first[2]) end
  local lease = redis.call('ZRANGE', LEASED, 0, 0, 'WITHSCORES')
  if #lease > 0 and (at < 0 or tonumber(lease[2]) < at) then at = tonumber(lease[2]) end
  return at
end

local stopped = pop()
local next_at = false
if #taken == 1 then
  next_at = next_due()
  if next_at >= 0 and next_at <= now then
    -- Nothing ready but something due: move it now rather than at the next upkeep.
    recover_and_promote()
    stopped = pop()
    next_at = false
  end
end
out[3], out[4] = recovered, poisoned
if #taken > 1 then
  redis.call('SET', RQ, cmsgpack.pack(taken), 'PX', lease_ms)
  out[1] = #taken - 1
  -- It stopped because it had enough: is more ready, at that priority or below?
  for p = stopped, 3 do
    if redis.call('ZCARD', R[p]) > 0 then
      out[2] = 1
      break
    end
  end
end
if out[2] == 0 then
  -- Nothing more is ready: until when the taker may wait for a notification.
  if not next_at then next_at = next_due() end
  if next_at >= 0 then
    local wait = next_at - now
    if wait < 0 then wait = 0 end
    out[5] = n2s(wait)
  end
end
return with_shares(out)
