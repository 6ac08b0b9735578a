// Package redis implements the number sequencer on Redis with rueidis, and
// the api's event queue on top of it: one Lua script allocates a number and
// appends its event to the Redis stream, in Watermill's wire format. It
// imports domain, ports and the event log's wire format (eventwire), never the
// store: what it must learn from the system of record it asks through
// ports.SequenceFences.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Key layout. Every key of one application carries the hash tag of the
// application's stream partition ({chat.events.3}, eventwire.Topics.Tag), so
// that on a Redis Cluster the script that allocates a number and appends
// its event touches keys of one slot only: the partition's stream hashes
// by its whole name, which is the tag. Applications spread over the slots
// of the partitions (CHAT_STREAM_PARTITIONS), and the partitions over the
// cluster's nodes.
//
//	chat:{P}:token:app        hash  c = last chat number, r = last chat number when re-seeded,
//	                                l = chat numbers reserved (absent: the initial lease),
//	                                e = epoch of the chat sequence (absent: 0),
//	                                f = when it was last fenced, in s (absent: never)
//	chat:{P}:token:chat:N     hash  m = last message number, v = last edit version,
//	                                l = message numbers reserved (absent: the initial lease),
//	                                e, f = as the application's, of the chat's sequences
//	chat:{P}:token:seeding[:N] string  held by the api re-seeding that sequence
//	chat:{P}:token:idem:K     string  an idempotency key's first answer
//
// A chat hash is created by its first message. A missing chat hash is
// therefore ambiguous after Redis lost its data; r resolves it: chats up to r
// may have existed before the loss and are re-seeded from the store, later
// ones are new.
//
// A sequence hands out numbers only up to what the system of record has
// reserved for it (l): past it, the script answers -5 and the api reserves
// more (ports.SequenceFences.Reserve, each time as many again, up to eight
// leases: a chat of a million messages asks about 130 times, and a re-seed
// leaves a gap of at most eight leases), then allocates again. That is what
// lets a sequence that Redis lost resume above every number it ever handed
// out, queued or not; and what makes a change of the layout (or of the
// number of partitions, which moves applications' keys) safe: the keys not
// found are re-seeded from the store like lost ones.
//
// Idempotency keys die with Redis' data, but the worker keeps each with the
// row its event wrote (ports.SequenceFences.FirstAnswer). A sequence fenced
// less than a key's lifetime ago (f) may have lost keys, so a key the script
// does not know is asked of the store then (and only then: never in steady
// state) before a number is taken.
// Config tunes the sequencer.
type Config struct {
	// Topics are the event streams Append writes to; MaxLen caps each (approximately; 0: no cap).
	Topics eventwire.Topics
	MaxLen int64
	// Lease is how many numbers every sequence may hand out before it asks
	// the system of record to reserve more (then as many again as it has, up
	// to eight leases).
	// After Redis lost a sequence, numbering resumes above its reservation:
	// a small sequence leaves a gap of up to Lease numbers. Never lower it
	// on a running system: it is the reservation sequences did not record.
	Lease int64
	// SeedWait bounds how long a request waits for another api to finish
	// re-seeding the sequence it needs before answering 503.
	SeedWait time.Duration
	// HistoryCheck re-seeds from the system of record every sequence last
	// written before Redis restarted or failed over (see historyLib), as if
	// it were lost: numbering resumes above its reservation, never below
	// what a Redis that lost its last writes had handed out.
	HistoryCheck bool
}

// Sequencer implements ports.Sequencer and ports.EventQueue on Redis.
type Sequencer struct {
	client rueidis.Client
	fences ports.SequenceFences
	cfg    Config
}

// seedLockTTL outlives any fence: the fence's transaction is given a third of it.
const seedLockTTL = 30 * time.Second

// NewSequencer uses client for the sequences and fences to re-seed lost ones.
func NewSequencer(client rueidis.Client, fences ports.SequenceFences, cfg Config) *Sequencer {
	if cfg.SeedWait <= 0 {
		cfg.SeedWait = 2 * time.Second
	}
	if cfg.Lease < 1 {
		cfg.Lease = 1
	}
	if cfg.Topics.Prefix == "" {
		cfg.Topics.Prefix = "chat.events"
	}
	return &Sequencer{client: client, fences: fences, cfg: cfg}
}

// appKeys names the keys of one application (see the layout above).
type appKeys string

// check is the scripts' history-check argument.
func (s *Sequencer) check() string {
	if s.cfg.HistoryCheck {
		return "1"
	}
	return "0"
}

func (s *Sequencer) keysOf(t domain.Token) appKeys {
	return appKeys("chat:" + s.cfg.Topics.Tag(t) + ":" + string(t))
}
func (k appKeys) app() string             { return string(k) + ":app" }
func (k appKeys) chat(n int64) string     { return string(k) + ":chat:" + strconv.FormatInt(n, 10) }
func (k appKeys) appLock() string         { return string(k) + ":seeding" }
func (k appKeys) chatLock(n int64) string { return string(k) + ":seeding:" + strconv.FormatInt(n, 10) }
func (k appKeys) idem(key string) string  { return string(k) + ":idem:" + key }

func unavailable(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return domain.Unavailable("redis", err)
}

func (s *Sequencer) run(ctx context.Context, script *rueidis.Lua, keys []string, args ...string) (int64, error) {
	n, err := script.Exec(ctx, s.client, keys, args).AsInt64()
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

// RegisterApplication starts a new application's chat sequence.
func (s *Sequencer) RegisterApplication(ctx context.Context, token domain.Token) error {
	_, err := s.run(ctx, scriptRegister, []string{s.keysOf(token).app()}, s.check())
	return err
}

// Append allocates the draft's number and appends its event to the stream
// in one script: one round trip, and no number without its event. With an
// idempotency key the script records it too; a retry gets the event first
// appended (its number and time) and appends nothing.
func (s *Sequencer) Append(ctx context.Context, draft domain.Event, idem domain.Idempotency) (domain.Event, bool, error) {
	if idem.Key != "" {
		draft = domain.WithIdempotency(draft, idem) // for the worker to keep with the row
	}
	entry, err := eventwire.Template(ctx, draft)
	if err != nil {
		return nil, false, err
	}
	n, epoch, at, err := s.allocate(ctx, draft, entry, idem)
	if err != nil {
		return nil, false, err
	}
	replayed := at != 0
	var first time.Time // a replay's: the first request's
	if replayed {
		first = time.UnixMicro(at).UTC()
	}
	ev, ok := domain.Numbered(draft, n, epoch, first)
	if !ok {
		return nil, false, fmt.Errorf("cannot append %T", draft)
	}
	return ev, replayed, nil
}

// allocate runs the draft's script, which appends entry, and re-seeds the
// sequence when Redis lost it.
func (s *Sequencer) allocate(ctx context.Context, draft domain.Event, entry eventwire.Entry, idem domain.Idempotency) (n, epoch, at int64, err error) {
	var script *rueidis.Lua
	var keys, args []string
	var token domain.Token
	chat := int64(0)
	lease := strconv.FormatInt(s.cfg.Lease, 10)
	args = []string{entry.UUID, entry.Rest, entry.Metadata, strconv.FormatInt(s.cfg.MaxLen, 10), lease}
	_, _, _, _, when := domain.Subject(draft)
	args = append(args, idem.Fingerprint, strconv.FormatInt(when.UnixMicro(), 10),
		strconv.FormatInt(int64(domain.IdempotencyTTL.Seconds()), 10), "0")
	const storeChecked = 8 // ARGV 9: the store was asked for the key
	var seqKey, idemKey string
	switch e := draft.(type) {
	case domain.ChatCreated:
		k := s.keysOf(e.Token)
		token, script, seqKey, idemKey = e.Token, scriptNextChat, k.app(), k.idem(idem.Key)
		keys = []string{k.app(), idemKey}
	case domain.MessageCreated:
		k := s.keysOf(e.Token)
		token, chat, script, seqKey, idemKey = e.Token, e.Chat, scriptNextMessage, k.chat(e.Chat), k.idem(idem.Key)
		keys = []string{k.app(), k.chat(e.Chat), idemKey}
		args = append(args, strconv.FormatInt(e.Chat, 10))
	case domain.MessageEdited:
		k := s.keysOf(e.Token)
		token, chat, script, seqKey, idemKey = e.Token, e.Chat, scriptNextEdit, k.chat(e.Chat), k.idem(idem.Key)
		keys = []string{k.app(), k.chat(e.Chat), idemKey}
		args = append(args, strconv.FormatInt(e.Chat, 10), strconv.FormatInt(e.Number, 10))
	case domain.MessageDeleted: // a version from the edits' sequence
		k := s.keysOf(e.Token)
		token, chat, script, seqKey, idemKey = e.Token, e.Chat, scriptNextEdit, k.chat(e.Chat), k.idem(idem.Key)
		keys = []string{k.app(), k.chat(e.Chat), idemKey}
		args = append(args, strconv.FormatInt(e.Chat, 10), strconv.FormatInt(e.Number, 10))
	default:
		return 0, 0, 0, fmt.Errorf("cannot number %T", draft)
	}
	keys = append(keys, s.cfg.Topics.For(token))
	args = append(args, s.check())
	deadline := time.Now().Add(s.cfg.SeedWait)
	askedStore := false
	for {
		res, err := script.Exec(ctx, s.client, keys, args).AsIntSlice()
		if err != nil {
			return 0, 0, 0, unavailable(err)
		}
		if len(res) != 3 {
			return 0, 0, 0, fmt.Errorf("sequencer script answered %v", res)
		}
		if res[0] > 0 {
			return res[0], res[1], res[2], nil
		}
		switch res[0] {
		case stateAppMissing:
			err = s.seedApp(ctx, token)
		case stateChatNeedsSeed:
			err = s.seedChat(ctx, token, chat, false)
		case stateLeaseSpent:
			err = s.reserve(ctx, token, chat, seqKey, res[1])
		case stateIdemReused:
			return 0, 0, 0, domain.ErrIdempotencyKeyReused
		case stateIdemLost:
			first, found, ferr := s.firstAnswer(ctx, token, idem, idemKey)
			if ferr != nil || found {
				return first.Number, first.Epoch, first.At.UnixMicro(), ferr
			}
			args[storeChecked] = "1"
			continue
		case stateChatUnknown:
			// Above the application's last chat number here; but the store
			// numbers chats too while some api cannot reach Redis (Relay):
			// a chat it holds is seeded like a lost one, once.
			if askedStore {
				return 0, 0, 0, domain.NotFoundf("chat %d not found in this application", chat)
			}
			askedStore = true
			err = s.seedChat(ctx, token, chat, false)
		case stateMessageUnknown:
			_, _, number, _, _ := domain.Subject(draft)
			return 0, 0, 0, domain.NotFoundf("message %d not found in chat %d", number, chat)
		default:
			return 0, 0, 0, fmt.Errorf("sequencer script answered %d", res[0])
		}
		if errors.Is(err, errSeedBusy) {
			if time.Now().After(deadline) {
				return 0, 0, 0, domain.ErrBusy
			}
			select {
			case <-ctx.Done():
				return 0, 0, 0, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return 0, 0, 0, err
		}
	}
}

// firstAnswer asks the store for a key Redis lost with the sequence it
// re-seeded (stateIdemLost): a key found is the persisted first answer, put
// back in Redis for the next retry.
func (s *Sequencer) firstAnswer(ctx context.Context, token domain.Token, idem domain.Idempotency, idemKey string) (domain.FirstAnswer, bool, error) {
	first, found, err := s.fences.FirstAnswer(ctx, token, idem.Key)
	switch {
	case err != nil:
		return first, false, err
	case !found:
		return first, false, nil
	case first.Fingerprint != idem.Fingerprint:
		return first, false, domain.ErrIdempotencyKeyReused
	}
	if left := time.Until(first.At.Add(domain.IdempotencyTTL)); left > time.Second {
		v := fmt.Sprintf("%s|%d|%d|%d", first.Fingerprint, first.Number, first.Epoch, first.At.UnixMicro())
		// Best effort: without it the next retry asks the store again.
		_ = s.client.Do(ctx, s.client.B().Set().Key(idemKey).Value(v).Nx().Ex(left).Build()).Error()
	}
	return first, true, nil
}

// maxReserveLeases caps a reservation's growth, in leases: a re-seed (a loss,
// a restart, a failover) leaves a gap of at most what the sequence had
// reserved and not handed out.
const maxReserveLeases = 8

// reserve records a larger reservation for the sequence (chat 0: the
// application's chats) whose next number is next, then lets Redis use it:
// as many again as it has handed out, from one lease up to maxReserveLeases.
// Numbers the store handed out meanwhile (the degraded path, while this
// Redis could not be reached from some api) are skipped in the same script
// that raises the reservation: Redis never hands out a number above the old
// reservation without having skipped past them.
func (s *Sequencer) reserve(ctx context.Context, token domain.Token, chat int64, key string, next int64) error {
	upTo := next - 1 + min(max(s.cfg.Lease, next-1), maxReserveLeases*s.cfg.Lease)
	skip, reserved, err := s.fences.Reserve(ctx, token, chat, next, upTo)
	if err != nil {
		return err
	}
	field := "m"
	if chat == 0 {
		field = "c"
	}
	_, err = s.run(ctx, scriptExtend, []string{key}, strconv.FormatInt(reserved, 10), field, strconv.FormatInt(skip, 10))
	return err
}
