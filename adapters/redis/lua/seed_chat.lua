-- KEYS: chat lock; ARGV: holder resume version epoch history-check
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
local hist = history(ARGV[5])
if fresh(KEYS[1], hist) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'm', ARGV[2], 'l', ARGV[2], 'v', ARGV[3], 'e', ARGV[4], 'f', redis.call('TIME')[1])
if hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
return 1
