// Package streamlog is the api's reads of the event log on Redis Streams:
// the live log every api tails for its server-sent event streams
// (ports.LiveLog) and the write admission that refuses writes while the
// workers are too far behind (ports.WriteAdmission), with the backlog
// reading the workers' gauge shares. The worker's side of the log is in
// adapters/stream; the wire format in adapters/eventwire.
package streamlog

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/domain"
)

// LiveLog is ports.LiveLog on the event streams. The sequencer's script
// numbers an event and appends it in one step, to its chat's partition, so
// a chat's part of a partition is in number (and version) order with no
// holes; an entry ID is a position. The workers' trimmer keeps a retention
// window of entries (TrimAcknowledged), which is how far back a stream can
// resume.
type LiveLog struct {
	client goredis.UniversalClient
	topics eventwire.Topics
	block  time.Duration
	// ids is where the tail stands in each partition, kept across tails: a
	// tail started again after an error goes on from there, missing nothing.
	ids []string
}

func NewLiveLog(client goredis.UniversalClient, topics eventwire.Topics) *LiveLog {
	return &LiveLog{client: client, topics: topics, block: 2 * time.Second}
}

var positionForm = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

func (l *LiveLog) Valid(s string) bool     { return positionForm.MatchString(s) }
func (l *LiveLog) Before(a, b string) bool { return eventwire.LessID(a, b) }

// Tail reads every partition from its current end (or from where the
// last tail stopped), with one blocking XREAD per partition (on a Redis
// Cluster the partitions live in different slots, which one command cannot
// read together), and hands their events to fn one at a time. One tail
// runs at a time; it ends, returning the first error, when a partition's
// read fails or ctx ends (then nil).
func (l *LiveLog) Tail(ctx context.Context, fn func(domain.LiveEvent)) error {
	streams := l.topics.All()
	if l.ids == nil {
		ids := make([]string, len(streams))
		for i, s := range streams {
			info, err := l.client.XInfoStream(ctx, s).Result()
			switch {
			case err == nil:
				ids[i] = info.LastGeneratedID
			case noStream(err):
				ids[i] = "0-0"
			default:
				return err
			}
		}
		l.ids = ids
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex // fn is called by one reader at a time
		wg    sync.WaitGroup
		first error
		once  sync.Once
	)
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.tail(ctx, s, &l.ids[i], &mu, fn); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return first
}

// tail reads one partition after *id, which it moves along.
func (l *LiveLog) tail(ctx context.Context, stream string, id *string, mu *sync.Mutex, fn func(domain.LiveEvent)) error {
	for {
		res, err := l.client.XRead(ctx, &goredis.XReadArgs{Streams: []string{stream, *id}, Block: l.block, Count: 1000}).Result()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, goredis.Nil):
			continue
		case err != nil:
			return err
		}
		mu.Lock()
		for _, s := range res {
			for _, m := range s.Messages {
				*id = m.ID
				if e, ok := liveEvent(m); ok {
					fn(e)
				}
			}
		}
		mu.Unlock()
	}
}

// Since reads the chat's partition after the position; gone when the
// trimmer (or a loss of Redis' data) may have removed entries after it.
func (l *LiveLog) Since(ctx context.Context, chat domain.ChatKey, after string) ([]domain.LiveEvent, error) {
	topic := l.topics.For(chat.Token)
	info, err := l.client.XInfoStream(ctx, topic).Result()
	if noStream(err) {
		if after == beforeAll {
			return nil, nil // nothing was ever appended there: nothing is gone
		}
		return nil, domain.ErrPositionGone
	}
	if err != nil {
		return nil, domain.Unavailable("redis", err)
	}
	// Gone: a position this stream never gave (a Redis that lost its data
	// starts again lower), or entries after it may have been removed (it
	// is older than the first entry left, and some were removed).
	first := info.FirstEntry.ID
	removed := info.EntriesAdded > info.Length
	switch {
	case eventwire.LessID(info.LastGeneratedID, after):
		return nil, domain.ErrPositionGone
	case removed && first == "" && eventwire.LessID(after, info.LastGeneratedID):
		return nil, domain.ErrPositionGone
	case removed && first != "" && eventwire.LessID(after, first):
		return nil, domain.ErrPositionGone
	}
	var out []domain.LiveEvent
	from := "(" + after
	for {
		msgs, err := l.client.XRangeN(ctx, topic, from, "+", 1000).Result()
		if err != nil {
			return nil, domain.Unavailable("redis", err)
		}
		for _, m := range msgs {
			if e, ok := liveEvent(m); ok && (e.Chat() == chat || (chat.Number == 0 && e.Chat().Token == chat.Token)) {
				out = append(out, e)
			}
		}
		if len(msgs) < 1000 {
			return out, nil
		}
		from = "(" + msgs[len(msgs)-1].ID
	}
}

// creationReach bounds how far back Creation reads a partition: a
// message the workers have not persisted is among its last entries unless
// they are far behind (and then the request is answered as without it).
const creationReach = 10_000

// Creation reads the chat's partition from its end, a page at a time, until
// it meets the creation or a creation of the chat with a lower number (a
// chat's creations are in number order in the log).
func (l *LiveLog) Creation(ctx context.Context, chat domain.ChatKey, number int64) (domain.MessageCreated, bool, error) {
	topic := l.topics.For(chat.Token)
	const page = 500
	upTo := "+"
	for read := 0; read < creationReach; read += page {
		msgs, err := l.client.XRevRangeN(ctx, topic, upTo, "-", page).Result()
		if err != nil {
			return domain.MessageCreated{}, false, domain.Unavailable("redis", err)
		}
		for _, m := range msgs {
			e, ok := liveEvent(m)
			if c, isCreate := e.Event.(domain.MessageCreated); ok && isCreate && e.Chat() == chat {
				if c.Number <= number {
					return c, c.Number == number, nil
				}
			}
		}
		if len(msgs) < page {
			break
		}
		upTo = "(" + msgs[len(msgs)-1].ID
	}
	return domain.MessageCreated{}, false, nil
}

// beforeAll is the position before a partition's first entry.
const beforeAll = "0-0"

// Head is the last entry ID the application's partition generated.
func (l *LiveLog) Head(ctx context.Context, app domain.Token) (string, error) {
	info, err := l.client.XInfoStream(ctx, l.topics.For(app)).Result()
	switch {
	case noStream(err):
		return beforeAll, nil
	case err != nil:
		return "", domain.Unavailable("redis", err)
	}
	return info.LastGeneratedID, nil
}

// liveEvent decodes a message event of the stream (chat creations are not
// part of a chat's stream).
func liveEvent(m goredis.XMessage) (domain.LiveEvent, bool) {
	e, err := eventwire.DecodeEntry(m.Values)
	if err != nil {
		return domain.LiveEvent{}, false
	}
	switch e.(type) {
	case domain.MessageCreated, domain.MessageEdited, domain.MessageDeleted:
		return domain.LiveEvent{Position: m.ID, Event: e}, true
	}
	return domain.LiveEvent{}, false
}

// noStream tells Redis' answer about a stream that does not exist (yet,
// or any more).
func noStream(err error) bool { return goredis.HasErrorPrefix(err, "no such key") }
