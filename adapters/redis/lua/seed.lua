-- seed writes a sequence hash (KEYS[1]) re-seeded from the system of
-- record, with the fields given, if the caller still holds its lock
-- (KEYS[2], holder ARGV[1]) and no one has written the hash in this
-- history meanwhile (unless force is '1': a fence the relay forced); a hash
-- of an earlier history is replaced. 1 if it wrote the hash.
local function seed(check, force, ...)
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
  redis.call('DEL', KEYS[2])
  local hist = history(check)
  if force ~= '1' and fresh(KEYS[1], hist) then return 0 end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'f', redis.call('TIME')[1], ...)
  if hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
  return 1
end
