// Package redis implements the number sequencer on Redis with rueidis. It
// imports domain and ports, never the store: what it must learn from the
// system of record it asks through ports.SequenceSeeds.
package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Key layout. Every key of one application carries the hash tag {token}, so
// that on a Redis Cluster a script touching the application and one of its
// chats stays on one slot, while different applications spread over slots.
//
//	chat:{token}:app      hash  c = last chat number, r = last chat number when re-seeded
//	chat:{token}:chat:N   hash  m = last message number, v = last edit version
//
// A chat hash is created by its first message. A missing chat hash is
// therefore ambiguous after Redis lost its data; r resolves it: chats up to r
// existed before the loss and are re-seeded from the store, later ones are new.
const luaChatState = `
local function chat_state(app, chatkey, n)
  if redis.call('EXISTS', chatkey) == 1 then return 0 end
  local c = redis.call('HGET', app, 'c')
  if not c then return -1 end
  if n > tonumber(c) then return -2 end
  if n <= tonumber(redis.call('HGET', app, 'r') or '0') then return -3 end
  return 0
end
`

var (
	scriptRegister = rueidis.NewLuaScript(`return redis.call('HSETNX', KEYS[1], 'c', 0)`)
	scriptNextChat = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'c', 1)`)
	scriptNextMessage = rueidis.NewLuaScript(luaChatState + `
local s = chat_state(KEYS[1], KEYS[2], tonumber(ARGV[1]))
if s < 0 then return s end
return redis.call('HINCRBY', KEYS[2], 'm', 1)`)
	scriptNextEdit = rueidis.NewLuaScript(luaChatState + `
local s = chat_state(KEYS[1], KEYS[2], tonumber(ARGV[1]))
if s < 0 then return s end
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[2], 'm') or '0') then return -4 end
return redis.call('HINCRBY', KEYS[2], 'v', 1)`)
	scriptSeedApp = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'c', ARGV[1], 'r', ARGV[1])
return 1`)
	scriptSeedChat = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'm', ARGV[1], 'v', ARGV[2])
return 1`)
)

const (
	stateAppMissing     = -1
	stateChatUnknown    = -2
	stateChatNeedsSeed  = -3
	stateMessageUnknown = -4
)

// Sequencer implements ports.Sequencer on Redis.
type Sequencer struct {
	client rueidis.Client
	seeds  ports.SequenceSeeds
}

// NewSequencer uses client for the sequences and seeds to re-seed lost ones.
func NewSequencer(client rueidis.Client, seeds ports.SequenceSeeds) *Sequencer {
	return &Sequencer{client: client, seeds: seeds}
}

func appKey(t domain.Token) string { return "chat:{" + string(t) + "}:app" }

func chatKey(t domain.Token, n int64) string {
	return "chat:{" + string(t) + "}:chat:" + strconv.FormatInt(n, 10)
}

func (s *Sequencer) run(ctx context.Context, script *rueidis.Lua, keys []string, args ...string) (int64, error) {
	n, err := script.Exec(ctx, s.client, keys, args).AsInt64()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, err
		}
		return 0, domain.Unavailable("redis", err)
	}
	return n, nil
}

// RegisterApplication starts a new application's chat sequence.
func (s *Sequencer) RegisterApplication(ctx context.Context, token domain.Token) error {
	_, err := s.run(ctx, scriptRegister, []string{appKey(token)})
	return err
}

// NextChatNumber allocates the next chat number of the application.
func (s *Sequencer) NextChatNumber(ctx context.Context, token domain.Token) (int64, error) {
	for attempt := 0; attempt < 3; attempt++ {
		n, err := s.run(ctx, scriptNextChat, []string{appKey(token)})
		if err != nil || n > 0 {
			return n, err
		}
		if err := s.seedApp(ctx, token); err != nil {
			return 0, err
		}
	}
	return 0, domain.Unavailable("redis", errors.New("sequence kept vanishing while being seeded"))
}

// NextMessageNumber allocates the next message number of the chat.
func (s *Sequencer) NextMessageNumber(ctx context.Context, token domain.Token, chat int64) (int64, error) {
	return s.inChat(ctx, token, chat, scriptNextMessage, strconv.FormatInt(chat, 10))
}

// NextEditVersion checks that the message was allocated and returns a fresh version.
func (s *Sequencer) NextEditVersion(ctx context.Context, token domain.Token, chat, message int64) (int64, error) {
	return s.inChat(ctx, token, chat, scriptNextEdit, strconv.FormatInt(chat, 10), strconv.FormatInt(message, 10))
}

func (s *Sequencer) inChat(ctx context.Context, token domain.Token, chat int64, script *rueidis.Lua, args ...string) (int64, error) {
	keys := []string{appKey(token), chatKey(token, chat)}
	for attempt := 0; attempt < 3; attempt++ {
		n, err := s.run(ctx, script, keys, args...)
		if err != nil || n > 0 {
			return n, err
		}
		switch n {
		case stateAppMissing:
			err = s.seedApp(ctx, token)
		case stateChatNeedsSeed:
			err = s.seedChat(ctx, token, chat)
		case stateChatUnknown:
			return 0, domain.NotFoundf("chat %d not found in this application", chat)
		case stateMessageUnknown:
			return 0, domain.NotFoundf("message %s not found in chat %d", args[len(args)-1], chat)
		default:
			return 0, fmt.Errorf("sequencer script answered %d", n)
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, domain.Unavailable("redis", errors.New("sequence kept vanishing while being seeded"))
}

// seedApp runs when the application's hash is missing: either the token is
// unknown, or Redis lost its data. The store tells which, and where to resume.
func (s *Sequencer) seedApp(ctx context.Context, token domain.Token) error {
	last, err := s.seeds.ChatSeed(ctx, token)
	if err != nil {
		return err
	}
	_, err = s.run(ctx, scriptSeedApp, []string{appKey(token)}, strconv.FormatInt(last, 10))
	return err
}

func (s *Sequencer) seedChat(ctx context.Context, token domain.Token, chat int64) error {
	number, version, err := s.seeds.MessageSeed(ctx, token, chat)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return domain.NotFoundf("chat %d not found in this application", chat)
		}
		return err
	}
	_, err = s.run(ctx, scriptSeedChat, []string{chatKey(token, chat)}, strconv.FormatInt(number, 10), strconv.FormatInt(version, 10))
	return err
}
