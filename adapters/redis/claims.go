package redis

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
)

// Claims implements ports.IdempotencyClaims on Redis: one key per claim,
// holding "p|fingerprint" while in progress and "d|fingerprint|result" once done.
type Claims struct{ client rueidis.Client }

func NewClaims(client rueidis.Client) *Claims { return &Claims{client: client} }

// KEYS: claim; ARGV: fingerprint ttl. {0}: claimed; {1, result}: done; {-1}: another request; {-2}: in progress.
var scriptClaim = rueidis.NewLuaScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'p|' .. ARGV[1], 'EX', ARGV[2])
  return {0, ''}
end
local state, rest = string.sub(v, 1, 1), string.sub(v, 3)
local fp, result = rest, ''
local bar = string.find(rest, '|', 1, true)
if bar then fp, result = string.sub(rest, 1, bar - 1), string.sub(rest, bar + 1) end
if fp ~= ARGV[1] then return {-1, ''} end
if state == 'p' then return {-2, ''} end
return {1, result}`)

func claimKey(key string) string { return "chat:{idem:" + key + "}:claim" }

func (c *Claims) Claim(ctx context.Context, key, fingerprint string) (string, error) {
	res, err := scriptClaim.Exec(ctx, c.client, []string{claimKey(key)},
		[]string{fingerprint, strconv.FormatInt(int64(domain.IdempotencyTTL.Seconds()), 10)}).ToArray()
	if err != nil {
		return "", domain.AsUnavailable("redis", err)
	}
	if len(res) != 2 {
		return "", fmt.Errorf("claim script answered %d values", len(res))
	}
	state, _ := res[0].AsInt64()
	result, _ := res[1].ToString()
	switch state {
	case -1:
		return "", domain.ErrIdempotencyKeyReused
	case -2:
		return "", domain.ErrIdempotencyKeyInUse
	}
	return result, nil
}

func (c *Claims) Complete(ctx context.Context, key, fingerprint, result string) error {
	err := c.client.Do(ctx, c.client.B().Set().Key(claimKey(key)).Value("d|"+fingerprint+"|"+result).
		Ex(domain.IdempotencyTTL).Build()).Error()
	if err != nil {
		return domain.AsUnavailable("redis", err)
	}
	return nil
}

func (c *Claims) Release(ctx context.Context, key string) error {
	if err := c.client.Do(ctx, c.client.B().Del().Key(claimKey(key)).Build()).Error(); err != nil {
		return domain.AsUnavailable("redis", err)
	}
	return nil
}
