-- KEYS: app idem stream; ARGV: uuid rest metadata maxlen lease idem-fp at ttl store-checked history-check
-- Returns {number, epoch, 0}, or {number, epoch, time} for a replay, or {-7, 0, 0}:
-- ask the store for the key (see idem_lost).
local seen = idem_check(KEYS[2], ARGV)
if seen then return seen end
local hist = history(ARGV[#ARGV])
if not fresh(KEYS[1], hist) then return {-1, 0, 0} end
if idem_lost(KEYS[1], ARGV) then return {-7, 0, 0} end
return take_next(KEYS[1], 'c', KEYS[3], KEYS[2], ARGV, hist)
