package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"
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
	if err != nil && !goredis.HasErrorPrefix(err, "BUSYGROUP") {
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
