package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/domain"
)

// ConsumerConfig tunes the worker's consumption.
type ConsumerConfig struct {
	// Concurrency is the number of events in hand at once per partition (the
	// Redis subscriber's MaxInFlight); it bounds the batch size a worker can reach.
	Concurrency int
	MaxBatch    int
	Flushers    int
	Linger      time.Duration
	// MaxAttempts bounds the tries of an event that can never succeed before it
	// goes to the dead-letter stream. Transient failures (the database down)
	// retry for as long as it takes, with backoff, and are never dead-lettered.
	MaxAttempts  int
	RetryInitial time.Duration
	RetryMax     time.Duration
	CloseTimeout time.Duration
	// DeadLetterTopic overrides topics.DeadLetter(), for a second consumer group.
	DeadLetterTopic string
}

// Hooks hear what the consumer does, for metrics and traces. Any may be nil.
type Hooks struct {
	// Tracer, if given, records a span for each event ("<Stage> <type>"),
	// in the trace of the request that caused it when the event carries one.
	Tracer trace.Tracer
	Stage  string // "persist", "index"

	Applied      func()
	Failed       func()
	DeadLettered func()
	// Conflict hears each event refused because its number may have been
	// handed out twice (domain.ErrNumberConflict): an alarm.
	Conflict func()
	// Lag hears, for each event applied, how long after its creation, with
	// an exemplar naming the event's request (its trace_id when traced, else
	// its request_id; nil when it carries neither), for the metric's exemplars.
	Lag func(d time.Duration, exemplar map[string]string)
}

// Consumer runs the worker's handlers on a Watermill router.
type Consumer struct {
	cfg     ConsumerConfig
	router  *message.Router
	batcher *batcher[domain.Event]
	log     *zap.Logger
	hooks   Hooks
	closing chan struct{}
	cancel  context.CancelFunc
	done    chan error
}

// NewConsumer subscribes one handler to every partition of topics through
// sub; dead is where events that can never succeed are published.
func NewConsumer(cfg ConsumerConfig, topics eventwire.Topics, sub message.Subscriber,
	dead message.Publisher, applier Applier, log *zap.Logger, hooks Hooks) (*Consumer, error) {
	if hooks.Applied == nil {
		hooks.Applied = func() {}
	}
	if hooks.Failed == nil {
		hooks.Failed = func() {}
	}
	if hooks.DeadLettered == nil {
		hooks.DeadLettered = func() {}
	}
	if hooks.Conflict == nil {
		hooks.Conflict = func() {}
	}
	if hooks.Lag == nil {
		hooks.Lag = func(time.Duration, map[string]string) {}
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.CloseTimeout}, NewZapLogger(log))
	if err != nil {
		return nil, err
	}
	c := &Consumer{cfg: cfg, router: router, log: log, hooks: hooks, closing: make(chan struct{})}
	deadTopic := cfg.DeadLetterTopic
	if deadTopic == "" {
		deadTopic = topics.DeadLetter()
	}
	poison, err := middleware.PoisonQueueWithFilter(countingPublisher{dead, hooks.DeadLettered}, deadTopic,
		func(err error) bool { return errors.Is(err, domain.ErrInvalidEvent) })
	if err != nil {
		return nil, err
	}
	router.AddMiddleware(middleware.Recoverer, poison)
	for _, topic := range topics.All() {
		router.AddConsumerHandler("apply-"+topic, topic, sub, c.handle)
	}
	c.batcher = newBatcher(applier.Apply, cfg.MaxBatch, cfg.Flushers, cfg.Linger)
	return c, nil
}

// Start runs the batcher and the router in the background and returns once
// the router is running.
func (c *Consumer) Start(ctx context.Context) error {
	c.batcher.start()
	var err error
	c.cancel, c.done, err = startRouter(ctx, c.router, "event consumer")
	return err
}

// startRouter runs router in the background and returns once it is
// running (or failed, or ctx ended first): the cancel that stops it, and
// where its end is told.
func startRouter(ctx context.Context, router *message.Router, what string) (context.CancelFunc, chan error, error) {
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- router.Run(runCtx) }()
	select {
	case <-router.Running():
		return cancel, done, nil
	case err := <-done:
		return cancel, done, fmt.Errorf("%s: %w", what, err)
	case <-ctx.Done():
		cancel()
		return cancel, done, ctx.Err()
	}
}

// Close stops taking events, lets the handlers finish the events in hand
// (an event being retried is handed back, unacknowledged, for redelivery),
// and stops.
func (c *Consumer) Close() error {
	close(c.closing)
	err := c.router.Close()
	if c.cancel != nil {
		c.cancel()
	}
	c.batcher.close()
	return err
}

func (c *Consumer) handle(msg *message.Message) error {
	ev, err := eventwire.Decode(msg)
	// Log lines about the event name it and the request that caused it.
	about := func(err error) []zap.Field {
		f := []zap.Field{zap.String("message_uuid", msg.UUID), zap.Error(err)}
		if id := msg.Metadata.Get(eventwire.RequestIDKey); id != "" {
			f = append(f, zap.String("request_id", id))
		}
		return f
	}
	if err != nil {
		c.hooks.Failed()
		c.log.Warn("event cannot be decoded", about(err)...)
		return err
	}
	ctx := msg.Context()
	if c.hooks.Tracer != nil {
		var span trace.Span
		ctx, span = c.startSpan(ctx, msg, ev)
		defer func() {
			if err != nil {
				span.RecordError(err)
				span.SetStatus(codes.Error, "not applied")
			}
			span.End()
		}()
	}
	delays := retryDelays(c.cfg.RetryInitial, c.cfg.RetryMax)
	for attempt := 1; ; attempt++ {
		err = c.batcher.submit(ctx, ev)
		if err == nil {
			c.hooks.Applied()
			_, _, _, _, at := domain.Subject(ev)
			c.hooks.Lag(time.Since(at), exemplar(ctx, msg))
			if ce := c.log.Check(zap.DebugLevel, "event applied"); ce != nil {
				ce.Write(append(about(nil), zap.String("event_type", msg.Metadata.Get(eventwire.TypeKey)))...)
			}
			return nil
		}
		if msg.Context().Err() != nil {
			// The subscriber is stopping: the event stays pending, for this
			// worker's next start or another worker to take.
			return fmt.Errorf("stopping: %w", err)
		}
		c.hooks.Failed()
		if errors.Is(err, domain.ErrNumberConflict) {
			// Deterministic: retrying cannot help. The event keeps its
			// payload in the dead-letter stream for an operator.
			c.hooks.Conflict()
			c.log.Error("ALARM: event refused, its number may have been handed out twice; dead-lettering it", about(err)...)
			return err
		}
		if errors.Is(err, domain.ErrInvalidEvent) && attempt >= c.cfg.MaxAttempts {
			c.log.Error("event cannot be applied; dead-lettering it", about(err)...)
			return err
		}
		wait := delays.NextBackOff()
		c.log.Warn("applying event failed; retrying",
			append(about(err), zap.Int("attempt", attempt), zap.Duration("backoff", wait))...)
		select {
		case <-time.After(wait):
		case <-c.closing:
			return fmt.Errorf("stopping: %w", err) // nacked: stays pending, redelivered later
		case <-msg.Context().Done():
			return fmt.Errorf("stopping: %w", err)
		}
	}
}

// retryDelays is how long the worker waits between tries of what failed:
// doubling from initial up to max, with a fifth of jitter so that workers
// that failed together do not retry together (cenkalti/backoff's policy,
// as for the bounded waits at start; the waiting itself watches for stop).
func retryDelays(initial, max time.Duration) *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{InitialInterval: initial, Multiplier: 2, MaxInterval: max, RandomizationFactor: 0.2}
}

type countingPublisher struct {
	message.Publisher
	count func()
}

func (p countingPublisher) Publish(topic string, msgs ...*message.Message) error {
	if err := p.Publisher.Publish(topic, msgs...); err != nil {
		return err
	}
	for range msgs {
		p.count()
	}
	return nil
}

var _ watermill.LoggerAdapter = ZapLogger{}

// startSpan starts the event's span, a child of the span of the request
// that caused the event when it carries one (traceparent in its metadata).
func (c *Consumer) startSpan(ctx context.Context, msg *message.Message, ev domain.Event) (context.Context, trace.Span) {
	parent := propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier(msg.Metadata))
	kind := msg.Metadata.Get(eventwire.TypeKey)
	_, chat, number, _, _ := domain.Subject(ev)
	if _, ok := ev.(domain.ChatCreated); ok {
		chat, number = number, 0
	}
	attrs := []attribute.KeyValue{
		attribute.String("messaging.system", "redis"),
		attribute.String("messaging.message.id", msg.UUID),
		attribute.String("event.type", kind),
		attribute.Int64("chat.number", chat),
	}
	if number > 0 {
		attrs = append(attrs, attribute.Int64("message.number", number))
	}
	if id := msg.Metadata.Get(eventwire.RequestIDKey); id != "" {
		attrs = append(attrs, attribute.String("request_id", id))
	}
	return c.hooks.Tracer.Start(parent, c.hooks.Stage+" "+kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}

// maxExemplarRunes is OpenMetrics' bound on an exemplar's labels, names and
// values together; the Prometheus client refuses (panics on) a longer one.
const maxExemplarRunes = 128

// exemplar names the request that caused the event: the trace when the
// event's span is sampled, else the request id when it fits an exemplar.
func exemplar(ctx context.Context, msg *message.Message) map[string]string {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		return map[string]string{"trace_id": sc.TraceID().String()}
	}
	if id := msg.Metadata.Get(eventwire.RequestIDKey); id != "" && len("request_id")+len(id) <= maxExemplarRunes {
		return map[string]string{"request_id": id}
	}
	return nil
}
