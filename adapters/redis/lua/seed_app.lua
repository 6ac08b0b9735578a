-- KEYS: app lock; ARGV: holder resume epoch history-check. A hash of an
-- earlier history is replaced.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
local hist = history(ARGV[4])
if fresh(KEYS[1], hist) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'c', ARGV[2], 'r', ARGV[2], 'l', ARGV[2], 'e', ARGV[3], 'f', redis.call('TIME')[1])
if hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
return 1
