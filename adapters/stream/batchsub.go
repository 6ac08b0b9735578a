package stream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/cenkalti/backoff/v5"
	goredis "github.com/redis/go-redis/v9"
)

// BatchSubscriberConfig tunes a BatchSubscriber.
type BatchSubscriberConfig struct {
	Client        goredis.UniversalClient
	ConsumerGroup string
	Consumer      string
	// ReadCount is how many entries one XREADGROUP (or XAUTOCLAIM) asks for.
	ReadCount int64
	// MaxInFlight bounds the messages of one topic handed out and not yet
	// acknowledged or nacked.
	MaxInFlight int
	// BlockTime is how long a read waits for new entries.
	BlockTime time.Duration
	// AckEvery is the longest an acknowledgement waits to be sent with others.
	AckEvery time.Duration
	// ClaimIdle: an entry delivered to a consumer and not acknowledged for
	// this long (its consumer died) is claimed; ClaimInterval is how often.
	ClaimIdle     time.Duration
	ClaimInterval time.Duration
	// NackResendSleep is the pause before a nacked message is handed out again.
	NackResendSleep time.Duration
	// DrainTimeout bounds how long Close waits for messages in hand.
	DrainTimeout time.Duration
	// OldestID is where a group created by the subscriber starts ("0": every entry).
	OldestID string
}

func (c *BatchSubscriberConfig) setDefaults() {
	if c.ReadCount <= 0 {
		c.ReadCount = 256
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1024
	}
	if c.BlockTime <= 0 {
		c.BlockTime = time.Second
	}
	if c.AckEvery <= 0 {
		c.AckEvery = 5 * time.Millisecond
	}
	if c.ClaimIdle <= 0 {
		c.ClaimIdle = 30 * time.Second
	}
	if c.ClaimInterval <= 0 {
		c.ClaimInterval = 5 * time.Second
	}
	if c.NackResendSleep <= 0 {
		c.NackResendSleep = 100 * time.Millisecond
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 20 * time.Second
	}
	if c.OldestID == "" {
		c.OldestID = "0"
	}
}

// BatchSubscriber is a Watermill subscriber on Redis Streams consumer groups
// that reads entries in batches (XREADGROUP COUNT n) and hands them to the
// router without waiting for each acknowledgement, up to MaxInFlight per
// topic, and acknowledges in batches (one XACK for many entries). It reads
// and writes watermill-redisstream's wire format, so the stock publisher,
// the dead-letter stream and its tools work as they are.
//
// watermill-redisstream's subscriber reads one entry per round trip and
// holds it until it is acknowledged (a second round trip); this one costs a
// round trip per batch each way.
//
// Delivery is at least once: an entry leaves the consumer group's pending
// list only when its message was acknowledged and the XACK sent. Entries in
// hand when the process dies stay pending and are claimed (XAUTOCLAIM) by a
// live consumer after ClaimIdle. A nacked message is handed out again after
// NackResendSleep. If the group vanished (Redis lost its data), the
// subscriber creates it again and goes on.
type BatchSubscriber struct {
	cfg     BatchSubscriberConfig
	log     watermill.LoggerAdapter
	closing chan struct{} // Close was called: stop reading
	abort   chan struct{} // the drain timed out: stop waiting for acks
	once    sync.Once
	wg      sync.WaitGroup // readers and claimers
	handed  sync.WaitGroup // messages in hand
	outs    sync.WaitGroup // subscriptions whose channel is still open
	ackers  sync.WaitGroup
	mu      sync.Mutex
	ackChs  []chan string
}

// NewBatchSubscriber checks the configuration; it does not contact Redis.
func NewBatchSubscriber(cfg BatchSubscriberConfig, log watermill.LoggerAdapter) (*BatchSubscriber, error) {
	if cfg.Client == nil || cfg.ConsumerGroup == "" || cfg.Consumer == "" {
		return nil, errors.New("batch subscriber: client, consumer group and consumer are required")
	}
	cfg.setDefaults()
	return &BatchSubscriber{cfg: cfg, log: log, closing: make(chan struct{}), abort: make(chan struct{})}, nil
}

var unmarshaller = redisstream.DefaultMarshallerUnmarshaller{}

// Subscribe starts consuming topic; the channel closes when ctx ends or the
// subscriber closes.
func (s *BatchSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	select {
	case <-s.closing:
		return nil, errors.New("batch subscriber is closed")
	default:
	}
	if err := s.createGroup(ctx, topic); err != nil {
		return nil, err
	}
	t := &topicSub{
		s: s, topic: topic, out: make(chan *message.Message),
		slots: make(chan struct{}, s.cfg.MaxInFlight),
		acks:  make(chan string, s.cfg.MaxInFlight),
		stop:  make(chan struct{}),
		log:   s.log.With(watermill.LogFields{"topic": topic, "consumer": s.cfg.Consumer}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	s.ackChs = append(s.ackChs, t.acks)
	s.mu.Unlock()
	s.ackers.Add(1)
	go t.ackLoop()
	var loops sync.WaitGroup
	loops.Add(2)
	s.wg.Add(2)
	go func() { defer s.wg.Done(); defer loops.Done(); t.readLoop() }()
	go func() { defer s.wg.Done(); defer loops.Done(); t.claimLoop() }()
	go func() {
		select {
		case <-ctx.Done():
		case <-s.closing:
		}
		close(t.stop)
		// Interrupts a blocked read, and tells the handlers of messages in
		// hand that the subscriber is stopping (their contexts derive from it).
		t.cancel()
	}()
	s.outs.Add(1)
	go func() {
		defer s.outs.Done()
		loops.Wait()
		// Messages still in hand may be acknowledged after this: the channel
		// closes once nothing more will be sent on it.
		t.inHand.Wait()
		close(t.out)
	}()
	return t.out, nil
}

// SubscribeInitialize creates the topic's consumer group ahead of the first
// subscription, as Watermill's SubscribeInitializer.
func (s *BatchSubscriber) SubscribeInitialize(topic string) error {
	return s.createGroup(context.Background(), topic)
}

func (s *BatchSubscriber) createGroup(ctx context.Context, topic string) error {
	err := s.cfg.Client.XGroupCreateMkStream(ctx, topic, s.cfg.ConsumerGroup, s.cfg.OldestID).Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("consumer group %s on %s: %w", s.cfg.ConsumerGroup, topic, err)
	}
	return nil
}

// Close stops reading, waits (up to DrainTimeout) for the messages in hand
// to be acknowledged or nacked, sends the acknowledgements still waiting,
// and returns. What was not acknowledged stays pending in the group, for
// another consumer to claim.
func (s *BatchSubscriber) Close() error {
	s.once.Do(func() {
		close(s.closing)
		s.wg.Wait()
		drained := make(chan struct{})
		go func() { s.handed.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(s.cfg.DrainTimeout):
			s.log.Info("messages still in hand at close; they stay pending for another consumer", nil)
		}
		close(s.abort)
		s.handed.Wait()
		s.mu.Lock()
		for _, ch := range s.ackChs {
			close(ch)
		}
		s.mu.Unlock()
		s.ackers.Wait()
		s.outs.Wait()
	})
	return nil
}

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
	if strings.Contains(err.Error(), "NOGROUP") {
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
				if !t.stopped() && !strings.Contains(err.Error(), "NOGROUP") {
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
			if err == nil || attempt == 3 || strings.Contains(err.Error(), "NOGROUP") {
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
