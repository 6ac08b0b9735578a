-- history tells a sequence hash written in this Redis's history from one
-- written before a restart or a failover. The replication id
-- (master_replid) is new whenever a Redis starts (from its AOF or snapshot,
-- or empty) and whenever a replica is promoted: a hash whose 'h' is another
-- id may be behind what was handed out (the last second a crash lost, the
-- writes a replica had not received), so it is re-seeded from the system of
-- record like a lost one. With the check off ('0'), every hash is taken as
-- it is.
local function history(check)
  if check ~= '1' then return '' end
  return string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)') or ''
end
local function fresh(h, hist)
  if redis.call('EXISTS', h) == 0 then return false end
  return hist == '' or redis.call('HGET', h, 'h') == hist
end
