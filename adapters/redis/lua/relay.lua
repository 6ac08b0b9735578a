-- KEYS: stream, the marker of each entry, then the hashes of the
-- applications whose chats the entries created; ARGV: maxlen, marker ttl
-- in s, number of entries, then uuid payload metadata of each entry.
-- Appends each entry whose marker is not set yet, in order, and sets it: an
-- entry relayed twice (a relay that could not drop it from the outbox) is
-- appended once. The applications' hashes are marked fenced now ('f'), so
-- that an idempotency key Redis does not know is asked of the store (where
-- the degraded path kept it) for a key's lifetime.
local n = tonumber(ARGV[3])
local appended = 0
for i = 1, n do
  local a = 4 + (i - 1) * 3
  if redis.call('SET', KEYS[1 + i], '1', 'NX', 'EX', ARGV[2]) then
    if ARGV[1] ~= '0' then
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', '_watermill_message_uuid', ARGV[a], 'payload', ARGV[a + 1], 'metadata', ARGV[a + 2])
    else
      redis.call('XADD', KEYS[1], '*', '_watermill_message_uuid', ARGV[a], 'payload', ARGV[a + 1], 'metadata', ARGV[a + 2])
    end
    appended = appended + 1
  end
end
for i = n + 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HSET', KEYS[i], 'f', redis.call('TIME')[1]) end
end
return appended
