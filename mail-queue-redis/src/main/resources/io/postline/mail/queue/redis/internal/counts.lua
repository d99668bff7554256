-- ARGV[3] max lapses  ARGV[4] dead max age ms  ARGV[5] dead max count  ARGV[6] done max age ms
-- ARGV[7] done max count. Recovers lapsed leases, promotes due messages and trims by age first,
-- so the counts are current, and sets the capacity counter from the sets. Returns {high, normal, low, scheduled, leased, dead, recovered, poisoned, trimmedDead}.
local now = now_ms()
recover(now, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]))
promote(now)
local trimmed = trim(DEAD, tonumber(ARGV[4]), tonumber(ARGV[5]), now)
if trimmed > 0 then redis.call('HINCRBY', STATS, 'trimmedDead', string.format('%d', trimmed)) end
trim(DONE, tonumber(ARGV[6]), tonumber(ARGV[7]), now)
trim_finished(tonumber(ARGV[6]), tonumber(ARGV[7]), now)
-- Reconciles the capacity counter (writers of the previous version, during an upgrade, do not keep it).
redis.call('SET', COUNT, string.format('%d', unfinished()))
local s = redis.call('HMGET', STATS, 'recovered', 'poisoned', 'trimmedDead')
return {redis.call('ZCARD', R[1]), redis.call('ZCARD', R[2]), redis.call('ZCARD', R[3]),
  redis.call('ZCARD', DELAYED), redis.call('ZCARD', LEASED), redis.call('ZCARD', DEAD),
  tonumber(s[1] or 0), tonumber(s[2] or 0), tonumber(s[3] or 0)}
