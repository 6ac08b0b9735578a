-- KEYS: app chat idem stream; ARGV: uuid rest metadata maxlen lease idem-fp at ttl store-checked chat history-check
local seen = idem_check(KEYS[3], ARGV)
if seen then return seen end
local hist = history(ARGV[#ARGV])
local s = chat_state(KEYS[1], KEYS[2], tonumber(ARGV[10]), hist)
if s < 0 then return {s, 0, 0} end
if idem_lost(KEYS[2], ARGV) then return {-7, 0, 0} end
return take_next(KEYS[2], 'm', KEYS[4], KEYS[3], ARGV, hist)
