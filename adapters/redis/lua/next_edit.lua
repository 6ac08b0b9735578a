-- KEYS: app chat idem stream; ARGV: uuid rest metadata maxlen lease idem-fp at ttl store-checked chat message history-check
local seen = idem_check(KEYS[3], ARGV)
if seen then return seen end
local s = chat_state(KEYS[1], KEYS[2], tonumber(ARGV[10]), history(ARGV[#ARGV]))
if s < 0 then return {s, 0, 0} end
if idem_lost(KEYS[2], ARGV) then return {-7, 0, 0} end
if tonumber(ARGV[11]) > tonumber(redis.call('HGET', KEYS[2], 'm') or '0') then return {-4, 0, 0} end
local v = redis.call('HINCRBY', KEYS[2], 'v', 1)
local e = epoch(KEYS[2])
append(KEYS[4], ARGV[11], fmt(v), e, ARGV)
idem_record(KEYS[3], ARGV, v, e)
return {v, e, 0}
