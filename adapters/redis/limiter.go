package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// scriptGCRA is the generic cell rate algorithm (as redis-cell and
// go-redis/redis_rate do it): one key per limited scope holds the
// theoretical arrival time of the next request; a request is allowed while
// that time is less than burst intervals ahead of now. One round trip, and
// the same answer for every api instance.
// KEYS: the scope's key; ARGV: rate (per second), burst. Returns
// {allowed, remaining, retry_after_ms, reset_after_ms}.
var scriptGCRA = rueidis.NewLuaScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local interval = 1000000 / rate
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allow_at = tat + interval - burst * interval
if allow_at > now then
  return {0, 0, math.ceil((allow_at - now) / 1000), math.ceil((tat - now) / 1000)}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((now - (new_tat - burst * interval)) / interval), 0, math.ceil((new_tat - now) / 1000)}`)

// Limiter implements ports.RateLimiter on Redis, shared by every api instance.
type Limiter struct{ client rueidis.Client }

func NewLimiter(client rueidis.Client) *Limiter { return &Limiter{client: client} }

// Allow counts one request of the application's kind of budget.
func (l *Limiter) Allow(ctx context.Context, token domain.Token, kind string, rate, burst int) (ports.RateLimit, error) {
	res, err := scriptGCRA.Exec(ctx, l.client, []string{"chat:{" + string(token) + "}:rate:" + kind},
		[]string{strconv.Itoa(rate), strconv.Itoa(burst)}).AsIntSlice()
	if err != nil {
		return ports.RateLimit{}, domain.Unavailable("redis", err)
	}
	return ports.RateLimit{Allowed: res[0] == 1, Remaining: int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Millisecond, ResetAfter: time.Duration(res[3]) * time.Millisecond}, nil
}
