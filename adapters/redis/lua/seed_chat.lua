-- KEYS: chat lock; ARGV: holder resume version epoch history-check force
return seed(ARGV[5], ARGV[6], 'm', ARGV[2], 'l', ARGV[2], 'v', ARGV[3], 'e', ARGV[4])
