package redis

import (
	"context"
	"crypto/rand"
	_ "embed" // the tally's scripts
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// Tally is ports.ChatTally in Redis, shared by every api instance. Each
// chat's keys carry the application's hash tag, so one script reads the
// tallies of all of a user's chats on a Redis Cluster:
//
//	chat:{token}:tally:N          hash  last = the last number recorded, at = the newest message's
//	                               creation (else the chat's), in µs; lmn lma lmb lmt = the newest
//	                               message's number, author, preview and time (lmx: it was deleted)
//	chat:{token}:tally:N:gone     zset  numbers up to last that are no message, scored by number:
//	                               m<n> not recorded yet (on its way, or skipped by a fence), d<n> deleted
//	chat:{token}:tally:N:own      zset  "<user>\0<number, 20 digits>" for each user's messages not deleted
//	                               (all scored 0: counted by lexical range)
//	chat:{token}:tally:N:authors  hash  number → author, for a deletion to find whose own it was
//
// The three sets are disjoint, so a user's unread count after position r
// is last − r − |gone above r| − |own above r|: three O(log n) lookups.
// A missing tally (Redis lost it, or the chat predates it) is built again
// from the store (ports.TallySeeds) by whoever needs it first.
type Tally struct {
	client rueidis.Client
	seeds  ports.TallySeeds
}

func NewTally(client rueidis.Client, seeds ports.TallySeeds) *Tally {
	return &Tally{client: client, seeds: seeds}
}

var (
	//go:embed lua/tally_record.lua
	tallyRecordLua string
	//go:embed lua/tally_summaries.lua
	tallySummariesLua string
	//go:embed lua/tally_seed.lua
	tallySeedLua string
	//go:embed lua/tally_activity.lua
	tallyActivityLua string

	scriptTallyRecord    = rueidis.NewLuaScript(tallyRecordLua)
	scriptTallySummaries = rueidis.NewLuaScript(tallySummariesLua)
	scriptTallySeed      = rueidis.NewLuaScript(tallySeedLua)
	scriptTallyActivity  = rueidis.NewLuaScript(tallyActivityLua)
)

func tallyKeys(key domain.ChatKey) []string {
	t := "chat:{" + string(key.Token) + "}:tally:" + strconv.FormatInt(key.Number, 10)
	return []string{t, t + ":gone", t + ":own", t + ":authors"}
}

func micros(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// recordArgs is an event as the record script takes it; ok is false for an
// event that is no chat's.
func recordArgs(e domain.Event, fresh bool) (key domain.ChatKey, args []string, ok bool) {
	token, chat, n, _, at := domain.Subject(e)
	var kind, author, preview string
	switch e := e.(type) {
	case domain.ChatCreated:
		kind, chat = "c", n
	case domain.MessageCreated:
		kind, author, preview = "m", string(authorOf(e)), domain.Preview(e.Body)
	case domain.MessageEdited:
		kind, preview = "e", domain.Preview(e.Body)
	case domain.MessageDeleted:
		kind = "d"
	default:
		return key, nil, false
	}
	f := "0"
	if fresh {
		f = "1"
	}
	return domain.ChatKey{Token: token, Number: chat}, []string{kind, strconv.FormatInt(n, 10), author, micros(at), preview, f}, true
}

// pendingRecord is an event to record in the tally of its chat.
type pendingRecord struct {
	chat domain.ChatKey
	exec rueidis.LuaExec
}

func (t *Tally) Record(ctx context.Context, events []domain.Event, fresh bool) error {
	pending := make([]pendingRecord, 0, len(events))
	for _, e := range events {
		if key, args, ok := recordArgs(e, fresh); ok {
			pending = append(pending, pendingRecord{key, rueidis.LuaExec{Keys: tallyKeys(key), Args: args}})
		}
	}
	// A chat whose tally is missing is seeded, then its events recorded
	// again, in order; twice missing in a row is Redis losing data as it goes.
	for attempt := 0; len(pending) > 0; attempt++ {
		execs := make([]rueidis.LuaExec, len(pending))
		for i, p := range pending {
			execs[i] = p.exec
		}
		var again []pendingRecord
		seeded := map[domain.ChatKey]bool{}
		for i, r := range scriptTallyRecord.ExecMulti(ctx, t.client, execs...) {
			n, err := r.AsInt64()
			if err != nil {
				return unavailable(err)
			}
			if n == -1 {
				again = append(again, pending[i])
				seeded[pending[i].chat] = true
			}
		}
		if len(again) > 0 && attempt == 2 {
			return domain.Unavailable("redis", fmt.Errorf("the tallies of %d chats keep being lost", len(seeded)))
		}
		for chat := range seeded {
			if err := t.seed(ctx, chat); err != nil {
				return err
			}
		}
		pending = again
	}
	return nil
}

// Activity reads one field of each chat's tally in one script: a user's
// 1,000 chats cost a thousand hash lookups, their counts only the page's.
// Activity reads one field of each chat's tally in one script: a user's
// 1,000 chats cost a thousand hash lookups, their counts only the page's.
func (t *Tally) Activity(ctx context.Context, token domain.Token, chats []int64) ([]time.Time, error) {
	out := make([]time.Time, len(chats))
	err := t.eachSeeded(ctx, token, chats, func(todo []int) ([]int, error) {
		keys := make([]string, len(todo))
		for j, i := range todo {
			keys[j] = tallyKeys(domain.ChatKey{Token: token, Number: chats[i]})[0]
		}
		ats, err := scriptTallyActivity.Exec(ctx, t.client, keys, nil).AsIntSlice()
		if err != nil {
			return nil, unavailable(err)
		}
		var missing []int
		for j, us := range ats {
			if us < 0 {
				missing = append(missing, todo[j])
			} else {
				out[todo[j]] = fromMicros(us)
			}
		}
		return missing, nil
	})
	return out, err
}

func (t *Tally) Summaries(ctx context.Context, token domain.Token, user domain.UserID, positions []domain.ReadPosition) ([]domain.ChatSummary, error) {
	out := make([]domain.ChatSummary, len(positions))
	chats := make([]int64, len(positions))
	for i, p := range positions {
		chats[i] = p.Chat
	}
	err := t.eachSeeded(ctx, token, chats, func(todo []int) ([]int, error) {
		keys := make([]string, 0, 3*len(todo))
		args := make([]string, 0, 1+len(todo))
		args = append(args, string(user))
		for _, i := range todo {
			keys = append(keys, tallyKeys(domain.ChatKey{Token: token, Number: chats[i]})[:3]...)
			args = append(args, strconv.FormatInt(positions[i].Through, 10))
		}
		rows, err := scriptTallySummaries.Exec(ctx, t.client, keys, args).ToArray()
		if err != nil {
			return nil, unavailable(err)
		}
		var missing []int
		for j, row := range rows {
			i := todo[j]
			cols, err := row.ToArray()
			if err != nil {
				return nil, unavailable(err)
			}
			if found, _ := cols[0].AsInt64(); found == 0 {
				missing = append(missing, i)
				continue
			}
			if out[i], err = summaryOf(positions[i], cols); err != nil {
				return nil, unavailable(err)
			}
		}
		return missing, nil
	})
	return out, err
}

// eachSeeded has ask read the chats (by index), then again those whose
// tally it found missing once they are seeded; missing three times in a
// row is Redis losing data as it goes.
func (t *Tally) eachSeeded(ctx context.Context, token domain.Token, chats []int64, ask func(todo []int) (missing []int, err error)) error {
	todo := make([]int, len(chats))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 0; len(todo) > 0; attempt++ {
		missing, err := ask(todo)
		if err != nil {
			return err
		}
		if len(missing) > 0 && attempt == 2 {
			return domain.Unavailable("redis", fmt.Errorf("the tallies of %d chats keep being lost", len(missing)))
		}
		for _, i := range missing {
			if err := t.seed(ctx, domain.ChatKey{Token: token, Number: chats[i]}); err != nil {
				return err
			}
		}
		todo = missing
	}
	return nil
}

// summaryOf reads the summaries script's answer for one chat.
func summaryOf(p domain.ReadPosition, cols []rueidis.RedisMessage) (domain.ChatSummary, error) {
	var ints [5]int64
	for k := range ints {
		var err error
		if k < 3 {
			ints[k], err = cols[k+1].AsInt64()
		} else {
			var s string
			if s, err = cols[k+1].ToString(); err == nil && s != "" {
				ints[k], err = strconv.ParseInt(s, 10, 64)
			}
		}
		if err != nil {
			return domain.ChatSummary{}, err
		}
	}
	out := domain.ChatSummary{Chat: p.Chat, ReadThrough: p.Through, Last: ints[0], Unread: ints[1], Live: ints[2], ActiveAt: fromMicros(ints[3])}
	if ints[4] > 0 {
		author, _ := cols[6].ToString()
		preview, _ := cols[7].ToString()
		at, _ := cols[8].ToString()
		us, _ := strconv.ParseInt(at, 10, 64)
		out.LastMessage = &domain.LastMessage{Number: ints[4], Author: domain.UserID(author), Preview: preview, CreatedAt: fromMicros(us)}
	}
	return out, nil
}

// seedChunk bounds the members one command of a seed adds.
const seedChunk = 1000

// seed builds a chat's tally from the store in temporary keys (a chat of
// a million messages takes many commands), then installs it in one script
// unless a tally was kept meanwhile: a record never lands in a tally that
// is replaced under it.
func (t *Tally) seed(ctx context.Context, chat domain.ChatKey) error {
	s, err := t.seeds.TallySeed(ctx, chat.Token, chat.Number)
	if err != nil {
		return err
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	keys := tallyKeys(chat)
	suffix := ":seed:" + hex.EncodeToString(nonce[:])
	tmp := []string{keys[1] + suffix, keys[2] + suffix, keys[3] + suffix}
	b := t.client.B()
	var cmds rueidis.Commands
	zadd := func(key string, score func(int) float64, member func(int) string, n int) {
		for lo := 0; lo < n; lo += seedChunk {
			c := b.Zadd().Key(key).ScoreMember()
			for i := lo; i < min(n, lo+seedChunk); i++ {
				c = c.ScoreMember(score(i), member(i))
			}
			cmds = append(cmds, c.Build())
		}
	}
	num := func(ns []int64, prefix string) (func(int) float64, func(int) string) {
		return func(i int) float64 { return float64(ns[i]) }, func(i int) string { return prefix + strconv.FormatInt(ns[i], 10) }
	}
	sc, mb := num(s.Missing, "m")
	zadd(tmp[0], sc, mb, len(s.Missing))
	sc, mb = num(s.Deleted, "d")
	zadd(tmp[0], sc, mb, len(s.Deleted))
	zadd(tmp[1], func(int) float64 { return 0 }, func(i int) string {
		return string(s.Own[i].Author) + "\x00" + fmt.Sprintf("%020d", s.Own[i].Number)
	}, len(s.Own))
	for lo := 0; lo < len(s.Own); lo += seedChunk {
		c := b.Hset().Key(tmp[2]).FieldValue()
		for _, o := range s.Own[lo:min(len(s.Own), lo+seedChunk)] {
			c = c.FieldValue(strconv.FormatInt(o.Number, 10), string(o.Author))
		}
		cmds = append(cmds, c.Build())
	}
	for _, k := range tmp {
		cmds = append(cmds, b.Expire().Key(k).Seconds(600).Build())
	}
	for _, r := range t.client.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return unavailable(err)
		}
	}
	at := s.ActiveAt
	args := []string{strconv.FormatInt(s.Last, 10), micros(at), "", "", "", ""}
	if lm := s.LastMessage; lm != nil {
		args = append(args[:2], strconv.FormatInt(lm.Number, 10), string(lm.Author), lm.Preview, micros(lm.CreatedAt))
	}
	if err := scriptTallySeed.Exec(ctx, t.client, append(keys, tmp...), args).Error(); err != nil {
		return unavailable(err)
	}
	return nil
}

// authorOf is a created message's author ("" for none).
func authorOf(e domain.MessageCreated) domain.UserID { return domain.UserID(e.Author) }
