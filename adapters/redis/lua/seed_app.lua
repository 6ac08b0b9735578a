-- KEYS: app lock; ARGV: holder resume epoch history-check force
return seed(ARGV[4], ARGV[5], 'c', ARGV[2], 'r', ARGV[2], 'l', ARGV[2], 'e', ARGV[3])
