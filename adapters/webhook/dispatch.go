package webhook

import (
	"context"
	"sync"
	"time"

	"github.com/chatsvc/chat/domain"
)

// DispatchConfig tunes the delivery loop.
type DispatchConfig struct {
	Schedule Schedule
	Timeout  time.Duration // one attempt's (Sender's)
	Poll     time.Duration // how often the outbox is asked for due deliveries when idle
	Batch    int           // runs (a chat's deliveries to one endpoint) claimed at once at most
	Run      int           // deliveries of a run at most
	InFlight int           // runs under way at once at most
	// DisableAfter: an endpoint to which nothing was delivered for this
	// long is disabled when one more delivery is given up (0: never).
	DisableAfter time.Duration
}

// Hooks hear what the loop does, for metrics and logs. Any may be nil.
type Hooks struct {
	// Attempted hears each attempt's outcome: "delivered", "retry" or "failed".
	Attempted func(outcome string)
	// Delivered hears how long after its event a delivery arrived.
	Delivered func(lag time.Duration)
	// Failed hears each delivery given up on.
	Failed func(d Due, last Outcome)
	// Disabled hears each endpoint disabled (d was its last delivery given up).
	Disabled func(d Due)
	// Err hears the outbox's failures (retried at the next poll).
	Err func(error)
}

// Dispatcher is the delivery loop: it claims due deliveries from the
// outbox, sends them, and records each outcome. Any number of dispatchers
// (one per worker) share an outbox: a claim is a lease, so a delivery
// whose dispatcher died mid-send is claimed again once the lease runs out,
// and sent with the same webhook-id.
type Dispatcher struct {
	cfg    DispatchConfig
	outbox Outbox
	sender *Sender
	holds  func(context.Context) (map[string]string, error)
	hooks  Hooks
	now    func() time.Time
	wake   chan struct{}
	slots  chan struct{} // one per run under way
	wg     sync.WaitGroup
}

// NewDispatcher: holds, when not nil, says from where each partition of
// the log may not be in the outbox yet (production: stream.Unsettled of the
// webhooks' group); deliveries from there on wait, so that none overtakes
// an earlier event of its chat still on its way to the outbox.
func NewDispatcher(cfg DispatchConfig, outbox Outbox, sender *Sender, holds func(context.Context) (map[string]string, error), hooks Hooks) *Dispatcher {
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.Run <= 0 {
		cfg.Run = 100
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 512
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if hooks.Attempted == nil {
		hooks.Attempted = func(string) {}
	}
	if hooks.Delivered == nil {
		hooks.Delivered = func(time.Duration) {}
	}
	if hooks.Failed == nil {
		hooks.Failed = func(Due, Outcome) {}
	}
	if hooks.Disabled == nil {
		hooks.Disabled = func(Due) {}
	}
	if hooks.Err == nil {
		hooks.Err = func(error) {}
	}
	return &Dispatcher{cfg: cfg, outbox: outbox, sender: sender, holds: holds, hooks: hooks, now: time.Now, wake: make(chan struct{}, 1),
		slots: make(chan struct{}, cfg.InFlight)}
}

// Wake makes the loop look for due deliveries now (new ones were written).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends; the attempts under way are finished and
// recorded before it returns.
func (d *Dispatcher) Run(ctx context.Context) {
	defer d.wg.Wait()
	ticker := time.NewTicker(d.cfg.Poll)
	defer ticker.Stop()
	for {
		if d.Once(ctx) > 0 {
			// More may be due at once: a full batch left some. (Each
			// attempt that ends wakes the loop too: its chat's next
			// delivery became the head.)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-d.wake:
		}
	}
}

// Once claims a batch of runs and starts them, without waiting for them:
// a slow receiver holds up its own chats' deliveries only. It returns how
// many runs it claimed (none while InFlight runs are under way).
func (d *Dispatcher) Once(ctx context.Context) int {
	free := min(d.cfg.Batch, d.cfg.InFlight-len(d.slots))
	if free <= 0 {
		return 0
	}
	var holds map[string]string
	if d.holds != nil {
		var err error
		if holds, err = d.holds(ctx); err != nil {
			// Without knowing what the log still holds back, a chat's
			// order cannot be kept: nothing is sent until it is known.
			d.hooks.Err(err)
			return 0
		}
	}
	claimed := d.now()
	runs, err := d.outbox.Claim(ctx, claimed, d.lease(), free, d.cfg.Run, holds)
	if err != nil {
		if ctx.Err() == nil {
			d.hooks.Err(err)
		}
		return 0
	}
	for _, run := range runs {
		d.slots <- struct{}{} // never blocks: at most free were claimed, and only this loop takes slots
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.deliver(run, claimed)
			<-d.slots
			d.Wake()
		}()
	}
	return len(runs)
}

// lease is how long a claim keeps a run from other dispatchers: a run
// begins no attempt once one Timeout has passed since its claim, so the
// claim outlasts the run, and a run is claimed again only when its
// dispatcher is gone.
func (d *Dispatcher) lease() time.Duration { return 2*d.cfg.Timeout + 5*time.Second }

// deliver sends a run in order, stopping at the first delivery not made
// (what follows waits behind it), and records the attempts at once.
func (d *Dispatcher) deliver(run []Due, claimed time.Time) {
	// Not the loop's context: a run begun is finished and recorded.
	ctx, cancel := context.WithTimeout(context.Background(), d.lease())
	defer cancel()
	done := make([]Recorded, 0, len(run))
	var given *Due
	for i, due := range run {
		if i > 0 && d.now().Sub(claimed) >= d.cfg.Timeout {
			break // the rest is claimed again, once this is recorded
		}
		r := d.attempt(ctx, due)
		done = append(done, Recorded{Row: due.Row, Result: r})
		if r.State == domain.DeliveryFailed {
			given = &run[i]
		}
		if r.State != domain.DeliveryDelivered {
			break
		}
	}
	if err := d.outbox.Record(ctx, done); err != nil {
		d.hooks.Err(err) // the lease runs out and the run is sent again
		return
	}
	if given != nil && d.cfg.DisableAfter > 0 {
		now := d.now()
		if disabled, err := d.outbox.Disable(ctx, given.Row, now, now.Add(-d.cfg.DisableAfter)); err != nil {
			d.hooks.Err(err) // the next delivery given up tries again
		} else if disabled {
			d.hooks.Disabled(*given)
		}
	}
}

// attempt sends one delivery and says what its log is to keep.
func (d *Dispatcher) attempt(ctx context.Context, due Due) Result {
	due.Delivery.At = d.now()
	out := d.sender.Send(ctx, due.Delivery)
	now := d.now()
	r := Result{State: domain.DeliveryDelivered, Status: out.Status, NextAttempt: now}
	if out.Err != nil {
		r.Error = out.Err.Error()
	}
	switch wait, retry := d.cfg.Schedule.Next(due.Attempts+1, due.Since, now); {
	case out.Delivered():
		d.hooks.Attempted("delivered")
		d.hooks.Delivered(now.Sub(due.Since)) // a replayed one's from its replay
	case retry:
		r.State, r.NextAttempt = domain.DeliveryPending, now.Add(wait)
		d.hooks.Attempted("retry")
	default:
		r.State = domain.DeliveryFailed
		d.hooks.Attempted("failed")
		d.hooks.Failed(due, out)
	}
	return r
}
