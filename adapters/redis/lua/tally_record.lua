-- Records one event in a chat's tally (see tally.go for the keys).
-- KEYS: tally gone own authors; ARGV: kind (c chat, m message, e edit,
-- d delete), number, author, time in µs, preview, fresh ('1': a chat
-- numbered just now, whose tally starts empty).
-- Answers 1 when recorded, 0 when it was already, -1 when the tally is
-- missing (lost, or never kept): the caller seeds it from the store.
local T, G, O, A = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local kind, n = ARGV[1], tonumber(ARGV[2])
local function fmt(x) return string.format('%d', x) end
local function own(user, x) return user .. '\0' .. string.format('%020d', x) end
if redis.call('EXISTS', T) == 0 then
  if kind == 'c' and ARGV[6] == '1' then
    redis.call('HSET', T, 'last', 0, 'at', ARGV[4])
    return 1
  end
  return -1
end
if kind == 'c' then return 0 end
-- take makes n taken: false when it was recorded before (as a message or a deletion).
local function take()
  local last = tonumber(redis.call('HGET', T, 'last'))
  if n > last then
    for m = last + 1, n - 1 do redis.call('ZADD', G, m, 'm' .. fmt(m)) end
    redis.call('HSET', T, 'last', fmt(n))
    return true
  end
  return redis.call('ZREM', G, 'm' .. fmt(n)) == 1
end
if kind == 'm' then
  if not take() then return 0 end
  local author = ARGV[3]
  if author ~= '' then
    redis.call('ZADD', O, 0, own(author, n))
    redis.call('HSET', A, fmt(n), author)
  end
  if n > tonumber(redis.call('HGET', T, 'lmn') or '0') then
    redis.call('HSET', T, 'lmn', fmt(n), 'lma', author, 'lmb', ARGV[5], 'lmt', ARGV[4])
    redis.call('HDEL', T, 'lmx')
  end
  if tonumber(ARGV[4]) > tonumber(redis.call('HGET', T, 'at') or '0') then redis.call('HSET', T, 'at', ARGV[4]) end
  return 1
end
if kind == 'e' then
  if redis.call('HGET', T, 'lmn') == fmt(n) and not redis.call('HGET', T, 'lmx') then redis.call('HSET', T, 'lmb', ARGV[5]) end
  return 1
end
if redis.call('ZSCORE', G, 'd' .. fmt(n)) then return 0 end
take()
redis.call('ZADD', G, n, 'd' .. fmt(n))
local author = redis.call('HGET', A, fmt(n))
if author then
  redis.call('ZREM', O, own(author, n))
  redis.call('HDEL', A, fmt(n))
end
-- The newest message is gone: its number stays, so that an older one
-- recorded late does not take its place; the store tells the newest left.
if redis.call('HGET', T, 'lmn') == fmt(n) then redis.call('HSET', T, 'lmx', '1') end
return 1
