package redis

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
)

// ApplicationAccess is ports.ApplicationAccess in Redis, read with
// rueidis' server-assisted client-side caching (as ReadCache): a request's
// lookup is served from the api's memory, and Redis tells every api
// instance that holds an application's access when it changes, within a
// network hop. A connection that breaks drops what it cached, so nothing is
// served that an invalidation might have missed.
type ApplicationAccess struct {
	client rueidis.Client
}

const (
	// accessLookupTimeout: past it the caller reads the store instead.
	accessLookupTimeout = time.Second
	// accessCacheTTL bounds how long an instance keeps a value in memory
	// (Redis' invalidations drop it sooner when it changes).
	accessCacheTTL = time.Hour
	// filledTTL bounds a value loaded from the store: should a change's
	// Store fail after a load raced it, the old value goes within this.
	filledTTL = 10 * time.Minute
)

// NewApplicationAccess reads through client, which must have client-side
// caching on for lookups to be local.
func NewApplicationAccess(client rueidis.Client) *ApplicationAccess {
	return &ApplicationAccess{client: client}
}

func accessKey(token domain.Token) string { return "chat:{" + string(token) + "}:access" }

func (a *ApplicationAccess) Access(ctx context.Context, token domain.Token) (domain.AppAccess, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, accessLookupTimeout)
	defer cancel()
	v, err := a.client.DoCache(ctx, a.client.B().Get().Key(accessKey(token)).Cache(), accessCacheTTL).ToString()
	if rueidis.IsRedisNil(err) {
		return domain.AppAccess{}, false, nil
	}
	if err != nil {
		return domain.AppAccess{}, false, unavailable(err)
	}
	access, err := decodeAccess(v)
	if err != nil {
		return domain.AppAccess{}, false, nil // unreadable: load it from the store again
	}
	return access, true, nil
}

func (a *ApplicationAccess) Forget(ctx context.Context, token domain.Token) error {
	return keep(ctx, a.client, a.client.B().Del().Key(accessKey(token)).Build(), accessKey(token))
}

func (a *ApplicationAccess) Store(ctx context.Context, token domain.Token, access domain.AppAccess) error {
	return keep(ctx, a.client, a.client.B().Set().Key(accessKey(token)).Value(encodeAccess(access)).Build(), accessKey(token))
}

func (a *ApplicationAccess) Fill(ctx context.Context, token domain.Token, access domain.AppAccess) error {
	return keep(ctx, a.client, a.client.B().Set().Key(accessKey(token)).Value(encodeAccess(access)).Nx().Ex(filledTTL).Build(), accessKey(token))
}

// keep runs cmd and then an EXISTS of key: Redis sends this client the
// invalidations its own write causes before the EXISTS' reply, on the same
// connection, so its own next lookup sees the write (see ReadCache.Invalidate).
func keep(ctx context.Context, client rueidis.Client, cmd rueidis.Completed, key string) error {
	for _, r := range client.DoMulti(ctx, cmd, client.B().Exists().Key(key).Build()) {
		if err := r.Error(); err != nil && !rueidis.IsRedisNil(err) {
			return unavailable(err)
		}
	}
	return nil
}

// deletedAccess is kept for a deleted application (domain.DeletedAccess).
const deletedAccess = "deleted"

// encodeAccess: mode, the two hashes in hex (empty for none), and the end of
// the previous one's grace in unix nanoseconds, separated by spaces.
func encodeAccess(a domain.AppAccess) string {
	if a.Deleted {
		return deletedAccess
	}
	mode := a.Mode
	if mode == "" {
		mode = domain.AccessOpen
	}
	until := int64(0)
	if !a.PreviousUntil.IsZero() {
		until = a.PreviousUntil.UnixNano()
	}
	return strings.Join([]string{string(mode), a.Current.Hex(), a.Previous.Hex(), strconv.FormatInt(until, 10)}, " ")
}

var errBadAccess = errors.New("unreadable application access")

func decodeAccess(v string) (domain.AppAccess, error) {
	if v == deletedAccess {
		return domain.DeletedAccess(), nil
	}
	parts := strings.Split(v, " ")
	if len(parts) != 4 {
		return domain.AppAccess{}, errBadAccess
	}
	mode, err := domain.ParseAccess(parts[0])
	if err != nil {
		return domain.AppAccess{}, errBadAccess
	}
	out := domain.AppAccess{Mode: mode}
	var ok1, ok2 bool
	out.Current, ok1 = domain.ParseSecretHash(parts[1])
	out.Previous, ok2 = domain.ParseSecretHash(parts[2])
	if !ok1 || !ok2 {
		return domain.AppAccess{}, errBadAccess
	}
	until, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return domain.AppAccess{}, errBadAccess
	}
	if until != 0 {
		out.PreviousUntil = time.Unix(0, until).UTC()
	}
	return out, nil
}
