package stream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/cenkalti/backoff/v5"
	goredis "github.com/redis/go-redis/v9"
)

// topicSub is one topic's subscription.
type topicSub struct {
	s      *BatchSubscriber
	topic  string
	out    chan *message.Message
	slots  chan struct{} // one per message in hand
	acks   chan string   // entry ids to acknowledge
	stop   chan struct{} // no more reading
	ctx    context.Context
	cancel context.CancelFunc
	inHand sync.WaitGroup
	log    watermill.LoggerAdapter
}

func (t *topicSub) stopped() bool {
	select {
	case <-t.stop:
		return true
	default:
		return false
	}
}

// readLoop hands out this consumer's own pending entries (a restart under
// the same name), then new ones, a batch per round trip.
func (t *topicSub) readLoop() {
	cfg := t.s.cfg
	id := "0" // own pending entries first
	delays := retryDelays(100*time.Millisecond, 5*time.Second)
	for !t.stopped() {
		free := cfg.MaxInFlight - len(t.slots)
		if free == 0 {
			// Full: wait for a slot without busy-looping.
			select {
			case t.slots <- struct{}{}:
				<-t.slots
			case <-t.stop:
				return
			}
			continue
		}
		block := cfg.BlockTime
		if id == "0" {
			block = -1 // pending entries are there or not: no waiting
		}
		res, err := cfg.Client.XReadGroup(t.ctx, &goredis.XReadGroupArgs{
			Group: cfg.ConsumerGroup, Consumer: cfg.Consumer, Streams: []string{t.topic, id},
			Count: min(int64(free), cfg.ReadCount), Block: block,
		}).Result()
		if errors.Is(err, goredis.Nil) {
			if id == "0" {
				id = ">"
			}
			continue
		}
		if err != nil {
			if t.stopped() {
				return
			}
			t.readFailed(err, delays)
			continue
		}
		delays.Reset()
		n := 0
		for _, st := range res {
			for _, e := range st.Messages {
				if !t.deliver(e) {
					return
				}
				n++
			}
		}
		if id == "0" && n == 0 {
			id = ">"
		}
	}
}

func (t *topicSub) readFailed(err error, delays *backoff.ExponentialBackOff) {
	if goredis.HasErrorPrefix(err, "NOGROUP") {
		// The group vanished (Redis restarted empty): make it again.
		if cerr := t.s.createGroup(t.ctx, t.topic); cerr == nil {
			t.log.Info("consumer group recreated", nil)
			return
		}
	}
	t.log.Error("reading the stream failed; retrying", err, nil)
	select {
	case <-time.After(delays.NextBackOff()):
	case <-t.stop:
	}
}

// claimLoop takes over entries that another consumer left pending too long.
func (t *topicSub) claimLoop() {
	cfg := t.s.cfg
	tick := time.NewTicker(cfg.ClaimInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
		start := "0-0"
		for !t.stopped() {
			msgs, next, err := cfg.Client.XAutoClaim(t.ctx, &goredis.XAutoClaimArgs{
				Stream: t.topic, Group: cfg.ConsumerGroup, Consumer: cfg.Consumer,
				MinIdle: cfg.ClaimIdle, Start: start, Count: cfg.ReadCount,
			}).Result()
			if err != nil {
				if !t.stopped() && !goredis.HasErrorPrefix(err, "NOGROUP") {
					t.log.Error("claiming idle entries failed", err, nil)
				}
				break
			}
			for _, e := range msgs {
				if !t.deliver(e) {
					return
				}
			}
			if next == "0-0" || len(msgs) == 0 {
				break
			}
			start = next
		}
	}
}

// deliver hands one entry to the router; false when the subscription stopped.
func (t *topicSub) deliver(e goredis.XMessage) bool {
	msg, err := unmarshaller.Unmarshal(e.Values)
	if err != nil {
		// Not a Watermill message: it can never be handled. Acknowledge it
		// so that it does not come back, and say so.
		t.log.Error("stream entry is not a Watermill message; dropping it", err, watermill.LogFields{"entry": e.ID})
		t.acks <- e.ID
		return true
	}
	msg.Metadata.Set(PositionKey, e.ID)
	select {
	case t.slots <- struct{}{}:
	case <-t.stop:
		return false
	}
	t.inHand.Add(1)
	t.s.handed.Add(1)
	cancel, ok := t.send(msg)
	if !ok {
		t.release()
		return false
	}
	go t.await(msg, e.ID, cancel)
	return true
}

func (t *topicSub) release() {
	<-t.slots
	t.inHand.Done()
	t.s.handed.Done()
}

// send hands a message to the router; its context ends with its verdict.
func (t *topicSub) send(msg *message.Message) (context.CancelFunc, bool) {
	ctx, cancel := context.WithCancel(t.ctx)
	msg.SetContext(ctx)
	select {
	case t.out <- msg:
		return cancel, true
	case <-t.stop:
		cancel()
		return nil, false
	}
}

// await waits for the router's verdict on a message: an ack is queued for
// the next XACK batch; a nack hands the message out again (unless stopping,
// when it is left pending for another consumer).
func (t *topicSub) await(msg *message.Message, id string, cancel context.CancelFunc) {
	for {
		select {
		case <-msg.Acked():
			cancel()
			t.acks <- id
			t.release()
			return
		case <-msg.Nacked():
			cancel()
			select {
			case <-time.After(t.s.cfg.NackResendSleep):
			case <-t.stop:
				t.release()
				return
			}
			msg = msg.Copy()
			var ok bool
			if cancel, ok = t.send(msg); !ok {
				t.release()
				return
			}
		case <-t.s.abort:
			cancel()
			t.release()
			return
		}
	}
}

// ackLoop sends acknowledgements in batches: when ReadCount are waiting, or
// AckEvery after the first of a batch, and all that remain at close.
func (t *topicSub) ackLoop() {
	defer t.s.ackers.Done()
	cfg := t.s.cfg
	batch := make([]string, 0, cfg.ReadCount)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// A context of its own: acknowledgements are sent even while stopping.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for attempt := 0; ; attempt++ {
			err := cfg.Client.XAck(ctx, t.topic, cfg.ConsumerGroup, batch...).Err()
			if err == nil || attempt == 3 || goredis.HasErrorPrefix(err, "NOGROUP") {
				if err != nil {
					// Not acknowledged: the entries stay pending and come
					// back; applying an event twice changes nothing.
					t.log.Error("acknowledging entries failed; they will be delivered again", err, watermill.LogFields{"entries": len(batch)})
				}
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		batch = batch[:0]
	}
	for {
		select {
		case id, ok := <-t.acks:
			if !ok {
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(cfg.AckEvery)
			}
			batch = append(batch, id)
			if int64(len(batch)) >= cfg.ReadCount {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

var _ message.Subscriber = (*BatchSubscriber)(nil)
var _ message.SubscribeInitializer = (*BatchSubscriber)(nil)
