-- KEYS: sequence hash; ARGV: reserved field skip. Raises l once the
-- reservation is recorded, and the sequence's last number (field) to skip,
-- the highest number the store handed out above the old reservation.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'l') or '0') then redis.call('HSET', KEYS[1], 'l', ARGV[1]) end
if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0') then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
return 1
