-- KEYS: sequence lock; ARGV: holder ttl-ms history-check. 1: locked; 0: already seeded; -1: another holds it.
if fresh(KEYS[1], history(ARGV[3])) then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return -1
