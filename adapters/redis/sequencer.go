// Package redis implements the number sequencer on Redis with rueidis, and
// the api's event queue on top of it: one Lua script allocates a number and
// appends its event to the Redis stream, in Watermill's wire format. It
// imports domain, ports and the stream package's wire format, never the
// store: what it must learn from the system of record it asks through
// ports.SequenceFences.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Key layout. Every key of one application carries the hash tag of the
// application's stream partition ({chat.events.3}, stream.Topics.Tag), so
// that on a Redis Cluster the script that allocates a number and appends
// its event touches keys of one slot only: the partition's stream hashes
// by its whole name, which is the tag. Applications spread over the slots
// of the partitions (CHAT_STREAM_PARTITIONS), and the partitions over the
// cluster's nodes.
//
//	chat:{P}:token:app        hash  c = last chat number, r = last chat number when re-seeded,
//	                                l = chat numbers reserved (absent: the initial lease),
//	                                e = epoch of the chat sequence (absent: 0)
//	chat:{P}:token:chat:N     hash  m = last message number, v = last edit version,
//	                                l = message numbers reserved (absent: the initial lease),
//	                                e = epoch of the chat's sequences (absent: 0)
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
// historyLib tells a sequence hash written in this Redis's history from one
// written before a restart or a failover. The replication id
// (master_replid) is new whenever a Redis starts (from its AOF or snapshot,
// or empty) and whenever a replica is promoted: a hash whose 'h' is another
// id may be behind what was handed out (the last second a crash lost, the
// writes a replica had not received), so it is re-seeded from the system of
// record like a lost one. With the check off ('0'), every hash is taken as
// it is.
const historyLib = `
local function history(check)
  if check ~= '1' then return '' end
  return string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)') or ''
end
local function fresh(h, hist)
  if redis.call('EXISTS', h) == 0 then return false end
  return hist == '' or redis.call('HGET', h, 'h') == hist
end
`

const luaLib = historyLib + `
local function chat_state(app, chatkey, n, hist)
  if not fresh(app, hist) then return -1 end
  if fresh(chatkey, hist) then return 0 end
  if redis.call('EXISTS', chatkey) == 1 then return -3 end
  local c = redis.call('HGET', app, 'c')
  if n > tonumber(c) then return -2 end
  if n <= tonumber(redis.call('HGET', app, 'r') or '0') then return -3 end
  return 0
end
local function epoch(key) return tonumber(redis.call('HGET', key, 'e') or '0') end
-- append writes the event entry, its payload led by the allocated numbers.
-- a: uuid, rest of the payload, metadata, maxlen (0: none).
local function append(stream, head, a)
  if a[4] ~= '0' then
    redis.call('XADD', stream, 'MAXLEN', '~', a[4], '*', '_watermill_message_uuid', a[1], 'payload', head .. a[2], 'metadata', a[3])
  else
    redis.call('XADD', stream, '*', '_watermill_message_uuid', a[1], 'payload', head .. a[2], 'metadata', a[3])
  end
end
local function fmt(n) return string.format('%d', n) end
-- Idempotency keys (ARGV 6: fingerprint, '' for none; 7: the event's time
-- in µs; 8: ttl in s) hold 'fingerprint|number|epoch|time'.
local function idem_check(key, a)
  if a[6] == '' then return nil end
  local v = redis.call('GET', key)
  if not v then return nil end
  local fp, n, e, at = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if fp ~= a[6] then return {-6, 0, 0} end
  return {tonumber(n), tonumber(e), tonumber(at)}
end
local function idem_record(key, a, n, e)
  if a[6] == '' then return end
  redis.call('SET', key, a[6] .. '|' .. fmt(n) .. '|' .. fmt(e) .. '|' .. a[7], 'EX', a[8])
end
-- take_next hands out the next number of the sequence in field of hash h
-- (within its reservation 'l', else ARGV 5, the implicit lease), appends its
-- event and records the idempotency key. A hash it creates (a chat's first
-- message) belongs to this history.
local function take_next(h, field, stream, idem, a, hist)
  local n = tonumber(redis.call('HGET', h, field) or '0') + 1
  if n > tonumber(redis.call('HGET', h, 'l') or a[5]) then return {-5, n, 0} end
  if n == 1 and hist ~= '' and redis.call('EXISTS', h) == 0 then redis.call('HSET', h, 'h', hist) end
  redis.call('HSET', h, field, fmt(n))
  local e = epoch(h)
  append(stream, '{"number":' .. fmt(n) .. ',"epoch":' .. fmt(e) .. ',', a)
  idem_record(idem, a, n, e)
  return {n, e, 0}
end
`

var (
	// KEYS: app; ARGV: history check ('1' or '0')
	scriptRegister = rueidis.NewLuaScript(historyLib + `
local hist = history(ARGV[1])
if redis.call('HSETNX', KEYS[1], 'c', 0) == 1 and hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
return 1`)
	// KEYS: app idem stream; ARGV: uuid rest metadata maxlen lease idem-fp at ttl history-check
	// Returns {number, epoch, 0}, or {number, epoch, time} for a replay.
	scriptNextChat = rueidis.NewLuaScript(luaLib + `
local seen = idem_check(KEYS[2], ARGV)
if seen then return seen end
local hist = history(ARGV[#ARGV])
if not fresh(KEYS[1], hist) then return {-1, 0, 0} end
return take_next(KEYS[1], 'c', KEYS[3], KEYS[2], ARGV, hist)`)
	// KEYS: app chat idem stream; ARGV: uuid rest metadata maxlen lease idem-fp at ttl chat history-check
	scriptNextMessage = rueidis.NewLuaScript(luaLib + `
local seen = idem_check(KEYS[3], ARGV)
if seen then return seen end
local hist = history(ARGV[#ARGV])
local s = chat_state(KEYS[1], KEYS[2], tonumber(ARGV[9]), hist)
if s < 0 then return {s, 0, 0} end
return take_next(KEYS[2], 'm', KEYS[4], KEYS[3], ARGV, hist)`)
	// KEYS: app chat idem stream; ARGV: uuid rest metadata maxlen lease idem-fp at ttl chat message history-check
	scriptNextEdit = rueidis.NewLuaScript(luaLib + `
local seen = idem_check(KEYS[3], ARGV)
if seen then return seen end
local s = chat_state(KEYS[1], KEYS[2], tonumber(ARGV[9]), history(ARGV[#ARGV]))
if s < 0 then return {s, 0, 0} end
if tonumber(ARGV[10]) > tonumber(redis.call('HGET', KEYS[2], 'm') or '0') then return {-4, 0, 0} end
local v = redis.call('HINCRBY', KEYS[2], 'v', 1)
local e = epoch(KEYS[2])
append(KEYS[4], '{"number":' .. ARGV[10] .. ',"version":' .. fmt(v) .. ',"epoch":' .. fmt(e) .. ',', ARGV)
idem_record(KEYS[3], ARGV, v, e)
return {v, e, 0}`)
	// KEYS: sequence lock; ARGV: holder ttl-ms history-check. 1: locked; 0: already seeded; -1: another holds it.
	scriptLock = rueidis.NewLuaScript(historyLib + `
if fresh(KEYS[1], history(ARGV[3])) then return 0 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return -1`)
	// KEYS: app lock; ARGV: holder resume epoch history-check. A hash of an
	// earlier history is replaced.
	scriptSeedApp = rueidis.NewLuaScript(historyLib + `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
local hist = history(ARGV[4])
if fresh(KEYS[1], hist) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'c', ARGV[2], 'r', ARGV[2], 'l', ARGV[2], 'e', ARGV[3])
if hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
return 1`)
	// KEYS: chat lock; ARGV: holder resume version epoch history-check
	scriptSeedChat = rueidis.NewLuaScript(historyLib + `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
local hist = history(ARGV[5])
if fresh(KEYS[1], hist) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'm', ARGV[2], 'l', ARGV[2], 'v', ARGV[3], 'e', ARGV[4])
if hist ~= '' then redis.call('HSET', KEYS[1], 'h', hist) end
return 1`)
	// KEYS: sequence hash; ARGV: reserved. Raises l once the reservation is recorded.
	scriptExtend = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'l') or '0') then redis.call('HSET', KEYS[1], 'l', ARGV[1]) end
return 1`)
)

const (
	stateAppMissing     = -1
	stateChatUnknown    = -2
	stateChatNeedsSeed  = -3
	stateMessageUnknown = -4
	stateLeaseSpent     = -5
	stateIdemReused     = -6
)

// Config tunes the sequencer.
type Config struct {
	// Topics are the event streams Append writes to; MaxLen caps each (approximately; 0: no cap).
	Topics stream.Topics
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
	entry, err := stream.Template(ctx, draft)
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
func (s *Sequencer) allocate(ctx context.Context, draft domain.Event, entry stream.Entry, idem domain.Idempotency) (n, epoch, at int64, err error) {
	var script *rueidis.Lua
	var keys, args []string
	var token domain.Token
	chat := int64(0)
	lease := strconv.FormatInt(s.cfg.Lease, 10)
	args = []string{entry.UUID, entry.Rest, entry.Metadata, strconv.FormatInt(s.cfg.MaxLen, 10), lease}
	_, _, _, _, when := domain.Subject(draft)
	args = append(args, idem.Fingerprint, strconv.FormatInt(when.UnixMicro(), 10),
		strconv.FormatInt(int64(domain.IdempotencyTTL.Seconds()), 10))
	var seqKey string
	switch e := draft.(type) {
	case domain.ChatCreated:
		k := s.keysOf(e.Token)
		token, script, seqKey = e.Token, scriptNextChat, k.app()
		keys = []string{k.app(), k.idem(idem.Key)}
	case domain.MessageCreated:
		k := s.keysOf(e.Token)
		token, chat, script, seqKey = e.Token, e.Chat, scriptNextMessage, k.chat(e.Chat)
		keys = []string{k.app(), k.chat(e.Chat), k.idem(idem.Key)}
		args = append(args, strconv.FormatInt(e.Chat, 10))
	case domain.MessageEdited:
		k := s.keysOf(e.Token)
		token, chat, script, seqKey = e.Token, e.Chat, scriptNextEdit, k.chat(e.Chat)
		keys = []string{k.app(), k.chat(e.Chat), k.idem(idem.Key)}
		args = append(args, strconv.FormatInt(e.Chat, 10), strconv.FormatInt(e.Number, 10))
	case domain.MessageDeleted: // a version from the edits' sequence
		k := s.keysOf(e.Token)
		token, chat, script, seqKey = e.Token, e.Chat, scriptNextEdit, k.chat(e.Chat)
		keys = []string{k.app(), k.chat(e.Chat), k.idem(idem.Key)}
		args = append(args, strconv.FormatInt(e.Chat, 10), strconv.FormatInt(e.Number, 10))
	default:
		return 0, 0, 0, fmt.Errorf("cannot number %T", draft)
	}
	keys = append(keys, s.cfg.Topics.For(token))
	args = append(args, s.check())
	deadline := time.Now().Add(s.cfg.SeedWait)
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
			err = s.seedChat(ctx, token, chat)
		case stateLeaseSpent:
			err = s.reserve(ctx, token, chat, seqKey, res[1])
		case stateIdemReused:
			return 0, 0, 0, domain.ErrIdempotencyKeyReused
		case stateChatUnknown:
			return 0, 0, 0, domain.NotFoundf("chat %d not found in this application", chat)
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

// maxReserveLeases caps a reservation's growth, in leases: a re-seed (a loss,
// a restart, a failover) leaves a gap of at most what the sequence had
// reserved and not handed out.
const maxReserveLeases = 8

// reserve records a larger reservation for the sequence (chat 0: the
// application's chats) whose next number is next, then lets Redis use it:
// as many again as it has handed out, from one lease up to maxReserveLeases.
func (s *Sequencer) reserve(ctx context.Context, token domain.Token, chat int64, key string, next int64) error {
	upTo := next - 1 + min(max(s.cfg.Lease, next-1), maxReserveLeases*s.cfg.Lease)
	if err := s.fences.Reserve(ctx, token, chat, upTo); err != nil {
		return err
	}
	_, err := s.run(ctx, scriptExtend, []string{key}, strconv.FormatInt(upTo, 10))
	return err
}

// errSeedBusy: another api is re-seeding the sequence; try again shortly.
var errSeedBusy = errors.New("sequence is being re-seeded")

// lock takes the seeding lock of one sequence (key), so that one api at a
// time fences it: two fences would start two epochs, and events numbered in
// the losing one would be refused. The check that the sequence is still
// missing is made under the lock: a holder creates it as it lets go.
// errSeeded says another api seeded it meanwhile.
func (s *Sequencer) lock(ctx context.Context, key, lockKey string) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	n, err := s.run(ctx, scriptLock, []string{key, lockKey}, holder, strconv.FormatInt(seedLockTTL.Milliseconds(), 10), s.check())
	switch {
	case err != nil:
		return "", err
	case n == 0:
		return "", errSeeded
	case n < 0:
		return "", errSeedBusy
	}
	return holder, nil
}

var errSeeded = errors.New("sequence seeded meanwhile")

// fenceCtx bounds the fence well inside the lock's life, so that a fence
// never commits after another api could have taken the lock over.
func fenceCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, seedLockTTL/3)
}

func ignoreSeeded(err error) error {
	if errors.Is(err, errSeeded) {
		return nil // allocate again
	}
	return err
}

func (s *Sequencer) unlock(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.client.Do(ctx, s.client.B().Del().Key(key).Build()).Error()
}

// seedApp runs when the application's hash is missing: either the token is
// unknown, or Redis lost its data. The store tells which, and fences the
// application's chat numbers.
func (s *Sequencer) seedApp(ctx context.Context, token domain.Token) error {
	k := s.keysOf(token)
	lockKey := k.appLock()
	holder, err := s.lock(ctx, k.app(), lockKey)
	if err != nil {
		return ignoreSeeded(err)
	}
	fctx, cancel := fenceCtx(ctx)
	resume, epoch, err := s.fences.FenceChats(fctx, token, s.cfg.Lease)
	cancel()
	if err != nil {
		s.unlock(lockKey)
		return err
	}
	_, err = s.run(ctx, scriptSeedApp, []string{k.app(), lockKey}, holder,
		strconv.FormatInt(resume, 10), strconv.FormatInt(epoch, 10), s.check())
	return err
}

func (s *Sequencer) seedChat(ctx context.Context, token domain.Token, chat int64) error {
	k := s.keysOf(token)
	lockKey := k.chatLock(chat)
	holder, err := s.lock(ctx, k.chat(chat), lockKey)
	if err != nil {
		return ignoreSeeded(err)
	}
	fctx, cancel := fenceCtx(ctx)
	resume, version, epoch, err := s.fences.FenceMessages(fctx, token, chat, s.cfg.Lease)
	cancel()
	if err != nil {
		s.unlock(lockKey)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.NotFoundf("chat %d not found in this application", chat)
		}
		return err
	}
	_, err = s.run(ctx, scriptSeedChat, []string{k.chat(chat), lockKey}, holder,
		strconv.FormatInt(resume, 10), strconv.FormatInt(version, 10), strconv.FormatInt(epoch, 10), s.check())
	return err
}
