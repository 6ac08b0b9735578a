-- KEYS: sequence hash; ARGV: reserved. Raises l once the reservation is recorded.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'l') or '0') then redis.call('HSET', KEYS[1], 'l', ARGV[1]) end
return 1
