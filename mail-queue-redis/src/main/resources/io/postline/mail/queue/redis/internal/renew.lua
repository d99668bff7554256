-- ARGV[3] id  ARGV[4] token  ARGV[5] lease ms. Returns the new expiry (ms), or -1 if not current.
local id, token = ARGV[3], ARGV[4]
local key = MP .. id
if not current(key, token) then
  return -1
end
local expires = now_ms() + tonumber(ARGV[5])
redis.call('ZADD', LEASED, n2s(expires), id)
return expires
