-- KEYS: app; ARGV: history check ('1' or '0')
local hist = history(ARGV[1])
if redis.call('HSETNX', KEYS[1], 'c', 0) == 1 and hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
return 1
