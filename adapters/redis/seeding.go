package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/chatsvc/chat/domain"
)

// Re-seeding a sequence from the system of record: when Redis lost it, or,
// forced, after the store numbered events of it (the relay's).

// errSeedBusy: another api is re-seeding the sequence; try again shortly.
var errSeedBusy = errors.New("sequence is being re-seeded")

// lock takes the seeding lock of one sequence (key), so that one api at a
// time fences it: two fences would start two epochs, and events numbered in
// the losing one would be refused. The check that the sequence is still
// missing is made under the lock: a holder creates it as it lets go.
// errSeeded says another api seeded it meanwhile.
func (s *Sequencer) lock(ctx context.Context, key, lockKey, force string) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	holder := hex.EncodeToString(b)
	n, err := s.run(ctx, scriptLock, []string{key, lockKey}, holder, strconv.FormatInt(seedLockTTL.Milliseconds(), 10), s.check(), force)
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
	holder, err := s.lock(ctx, k.app(), lockKey, "0")
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
		strconv.FormatInt(resume, 10), strconv.FormatInt(epoch, 10), s.check(), "0")
	return err
}

// seedChat re-seeds the chat's sequences from the store when Redis lost
// them, or, forced, fences them again although Redis has them: the relay's,
// after events the store numbered (see Relay).
func (s *Sequencer) seedChat(ctx context.Context, token domain.Token, chat int64, force bool) error {
	k := s.keysOf(token)
	lockKey := k.chatLock(chat)
	f := "0"
	if force {
		f = "1"
	}
	holder, err := s.lock(ctx, k.chat(chat), lockKey, f)
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
		strconv.FormatInt(resume, 10), strconv.FormatInt(version, 10), strconv.FormatInt(epoch, 10), s.check(), f)
	return err
}
