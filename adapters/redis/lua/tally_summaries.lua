-- KEYS: tally gone own, of each chat; ARGV: user, then each chat's read
-- position. Answers for each chat {0} when its tally is missing, else
-- {1, last, unread, live, at, lmn, lma, lmb, lmt} ('' for no newest message).
local user, out = ARGV[1], {}
for i = 1, #KEYS / 3 do
  local T, G, O = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local h = redis.call('HMGET', T, 'last', 'at', 'lmn', 'lma', 'lmb', 'lmt', 'lmx')
  if not h[1] then
    out[i] = {0}
  else
    local last = tonumber(h[1])
    local r = math.min(tonumber(ARGV[i + 1]), last)
    local mine = redis.call('ZLEXCOUNT', O, '(' .. user .. '\0' .. string.format('%020d', r), '[' .. user .. '\0~')
    local unread = last - r - redis.call('ZCOUNT', G, '(' .. string.format('%d', r), '+inf') - mine
    local live = last - redis.call('ZCARD', G)
    if h[7] then h[3] = nil end
    out[i] = {1, last, unread, live, h[2] or '0', h[3] or '', h[4] or '', h[5] or '', h[6] or ''}
  end
end
return out
