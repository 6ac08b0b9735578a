-- KEYS: sequence lock; ARGV: holder ttl-ms history-check force. 1: locked; 0: already seeded; -1: another holds it.
-- force ('1'): lock a sequence that is there too, to fence it again (Relay).
if ARGV[4] ~= '1' and fresh(KEYS[1], history(ARGV[3])) then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return -1
