-- Installs a tally built from the store in temporary keys, unless one was
-- kept meanwhile. KEYS: tally gone own authors, then the temporary gone own
-- authors; ARGV: last at lmn lma lmb lmt. 1 if it installed it.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[5], KEYS[6], KEYS[7])
  return 0
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
for i = 5, 7 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i - 3])
    redis.call('PERSIST', KEYS[i - 3])
  end
end
redis.call('HSET', KEYS[1], 'last', ARGV[1], 'at', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'lmn', ARGV[3], 'lma', ARGV[4], 'lmb', ARGV[5], 'lmt', ARGV[6]) end
return 1
