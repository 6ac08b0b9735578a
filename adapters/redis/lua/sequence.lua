-- What the scripts that hand out numbers share (after history.lua and
-- eventwire.AppendLua).
local function chat_state(app, chatkey, n, hist)
  if not fresh(app, hist) then return -1 end
  if fresh(chatkey, hist) then return 0 end
  if redis.call('EXISTS', chatkey) == 1 then return -3 end
  local c = redis.call('HGET', app, 'c')
  if n > tonumber(c) then return -2 end
  if n <= tonumber(redis.call('HGET', app, 'r') or '0') then return -3 end
  return 0
end
local function epoch(key) return tonumber(redis.call('HGET', key, 'e') or '0') end
local function fmt(n) return string.format('%d', n) end
-- append writes the event entry (a: ARGV 1-4, the entry's uuid, rest of the
-- payload and metadata, and the stream's maxlen) under its numbers.
local function append(stream, number, version, e, a)
  append_entry(stream, number, version, fmt(e), a[1], a[2], a[3], a[4])
end
-- Idempotency keys (ARGV 6: fingerprint, '' for none; 7: the event's time
-- in µs; 8: ttl in s) hold 'fingerprint|number|epoch|time'.
local function idem_check(key, a)
  if a[6] == '' then return nil end
  local v = redis.call('GET', key)
  if not v then return nil end
  local fp, n, e, at = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if fp ~= a[6] then return {-6, 0, 0} end
  return {tonumber(n), tonumber(e), tonumber(at)}
end
-- idem_lost: a key Redis does not know may still have been answered, if
-- the sequence h was fenced (its 'f', the fence's time in s) within a key's
-- lifetime: Redis lost its keys then, and the store kept the persisted ones.
-- ARGV 9 is '1' once the store was asked and knew nothing.
local function idem_lost(h, a)
  if a[6] == '' or a[9] == '1' then return false end
  local f = redis.call('HGET', h, 'f')
  if not f then return false end
  return tonumber(redis.call('TIME')[1]) - tonumber(f) < tonumber(a[8])
end
local function idem_record(key, a, n, e)
  if a[6] == '' then return end
  redis.call('SET', key, a[6] .. '|' .. fmt(n) .. '|' .. fmt(e) .. '|' .. a[7], 'EX', a[8])
end
-- take_next hands out the next number of the sequence in field of hash h
-- (within its reservation 'l', else ARGV 5, the implicit lease), appends its
-- event and records the idempotency key. A hash it creates (a chat's first
-- message) belongs to this history.
local function take_next(h, field, stream, idem, a, hist)
  local n = tonumber(redis.call('HGET', h, field) or '0') + 1
  if n > tonumber(redis.call('HGET', h, 'l') or a[5]) then return {-5, n, 0} end
  if n == 1 and hist ~= '' and redis.call('EXISTS', h) == 0 then redis.call('HSET', h, 'h', hist) end
  redis.call('HSET', h, field, fmt(n))
  local e = epoch(h)
  append(stream, fmt(n), nil, e, a)
  idem_record(idem, a, n, e)
  return {n, e, 0}
end
