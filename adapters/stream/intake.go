package stream

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/domain"
)

// PositionKey is the metadata a subscriber puts on each message it hands
// out: the stream entry's ID, the event's position in its partition.
const PositionKey = "_chat_position"

// Taken is an event at its place in the log: its partition and position.
type Taken struct {
	Partition, Position string
	Event               domain.Event
}

// Sink takes events at their places in the log, in one write; an error
// hands them back, to be taken again (by this worker or, after ClaimIdle,
// another). A batch that fails is tried again event by event.
type Sink func(ctx context.Context, events []Taken) error

// What the intake gathers into one sink call: as many events as its
// handlers hold within a couple of milliseconds.
const (
	intakeBatch    = 256
	intakeFlushers = 4
	intakeLinger   = 2 * time.Millisecond
)

// Intake hands every event of the log with its position to a sink, in a
// consumer group of its own, and acknowledges each once the sink took it:
// what needs an event's place in the log (the webhooks' outbox) rather
// than the events alone.
type Intake struct {
	router  *message.Router
	batcher *batcher[Taken]
	done    chan error
	cancel  context.CancelFunc
}

// NewIntake subscribes sink to every partition of topics through sub.
func NewIntake(topics eventwire.Topics, sub message.Subscriber, sink Sink, log *zap.Logger) (*Intake, error) {
	router, err := message.NewRouter(message.RouterConfig{}, NewZapLogger(log))
	if err != nil {
		return nil, err
	}
	in := &Intake{router: router, batcher: newBatcher(sink, intakeBatch, intakeFlushers, intakeLinger)}
	for _, topic := range topics.All() {
		router.AddConsumerHandler("intake-"+topic, topic, sub, func(msg *message.Message) error {
			ev, err := eventwire.Decode(msg)
			if err != nil {
				log.Warn("event cannot be decoded; skipping it", zap.String("message_uuid", msg.UUID), zap.Error(err))
				return nil // it can never be taken: holding it would hold the partition
			}
			if err := in.batcher.submit(msg.Context(), Taken{Partition: topic, Position: msg.Metadata.Get(PositionKey), Event: ev}); err != nil {
				log.Warn("event not taken; it comes back", zap.String("message_uuid", msg.UUID), zap.Error(err))
				return err
			}
			return nil
		})
	}
	return in, nil
}

// Start runs the router and returns once it is running.
func (in *Intake) Start(ctx context.Context) error {
	in.batcher.start()
	var err error
	in.cancel, in.done, err = startRouter(ctx, in.router, "intake")
	return err
}

// Close stops taking events; what is in hand is finished or stays pending.
func (in *Intake) Close() error {
	err := in.router.Close()
	if in.cancel != nil {
		in.cancel()
	}
	in.batcher.close()
	return err
}

// Unsettled is, for each partition, the position from which the group's
// events may not all be taken yet: its oldest event handed out and not
// acknowledged, or, when none is, the one after the last it read (read
// first: an event read after this call, by any worker, comes after it).
// A partition without the group holds everything ("0-0").
func Unsettled(ctx context.Context, client goredis.UniversalClient, topics eventwire.Topics, group string) (map[string]string, error) {
	out := map[string]string{}
	for _, topic := range topics.All() {
		groups, err := client.XInfoGroups(ctx, topic).Result()
		if err != nil && !goredis.HasErrorPrefix(err, "no such key") && !goredis.HasErrorPrefix(err, "ERR no such key") {
			return nil, err
		}
		last := ""
		for _, g := range groups {
			if g.Name == group {
				last = g.LastDeliveredID
			}
		}
		if last == "" {
			out[topic] = "0-0"
			continue
		}
		out[topic] = nextID(last)
		p, err := client.XPending(ctx, topic, group).Result()
		switch {
		case err != nil && (goredis.HasErrorPrefix(err, "NOGROUP") || goredis.HasErrorPrefix(err, "no such key")):
			out[topic] = "0-0"
		case err != nil:
			return nil, err
		case p.Count > 0:
			out[topic] = p.Lower
		}
	}
	return out, nil
}

// nextID is the stream ID right after id ("ms-seq").
func nextID(id string) string {
	ms, seq, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseUint(seq, 10, 64)
	return ms + "-" + strconv.FormatUint(n+1, 10)
}
