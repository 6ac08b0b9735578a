-- KEYS: each chat's tally; answers each one's activity in µs, -1 when
-- the tally is missing.
local out = {}
for i = 1, #KEYS do
  local h = redis.call('HMGET', KEYS[i], 'last', 'at')
  if not h[1] then out[i] = -1 else out[i] = tonumber(h[2] or '0') end
end
return out
