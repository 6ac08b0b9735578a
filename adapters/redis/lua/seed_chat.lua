-- KEYS: chat lock; ARGV: holder resume version epoch history-check
return seed(ARGV[5], 'm', ARGV[2], 'l', ARGV[2], 'v', ARGV[3], 'e', ARGV[4])
