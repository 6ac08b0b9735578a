// Package metrics declares the service's Prometheus collectors on a registry
// of its own (no global registry), for the http adapter to serve and the
// other adapters to feed.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors of one process.
type Metrics struct {
	Registry        *prometheus.Registry
	RequestDuration *prometheus.HistogramVec
	EventsPublished *prometheus.CounterVec
	EventsPersisted prometheus.Counter
	EventsIndexed   prometheus.Counter
	EventsFailed    prometheus.Counter
	EventsDead      prometheus.Counter
	NumberConflicts prometheus.Counter
	StreamBacklog   *prometheus.GaugeVec
	CountersFixed   prometheus.Counter
	// ApplyLag is the time from an event's creation to its application, by
	// consumer group (persist, index): the persistence and index lag.
	ApplyLag       *prometheus.HistogramVec
	SearchDegraded prometheus.Counter
	// Webhooks: attempts by result (delivered, retry, failed: given up
	// after the retry schedule; delivered and failed count deliveries), and
	// the time from an event to its delivery.
	WebhookAttempts *prometheus.CounterVec
	WebhookLag      prometheus.Histogram
	// WebhooksDisabled counts endpoints disabled for failing for days.
	WebhooksDisabled prometheus.Counter
	// FeedPruned and DeliveriesPruned count the feed's events and the
	// finished webhook deliveries removed once past CHAT_FEED_RETENTION.
	FeedPruned       prometheus.Counter
	DeliveriesPruned prometheus.Counter
	DependencyUp     *prometheus.GaugeVec
	// ReadCache counts the read cache's lookups (hit, miss) and the
	// invalidations that failed (the batch is then retried).
	ReadCache *prometheus.CounterVec
	// The live streams: open now, events handed to them, clients dropped
	// for falling behind.
	LiveStreams   prometheus.Gauge
	LiveDelivered prometheus.Counter
	LiveDropped   prometheus.Counter
	// WritesRefused counts the writes refused because their queue was full
	// (CHAT_MAX_BACKLOG); WriteBacklog is what the api last read of each
	// partition's queue (the longest of the consumer groups').
	WritesRefused prometheus.Counter
	WriteBacklog  *prometheus.GaugeVec
	// WritesDegraded is 1 while the api numbers and persists writes in
	// MySQL because Redis cannot be reached; OutboxRelayed counts the
	// events of that path the relay appended to the streams.
	WritesDegraded prometheus.Gauge
	OutboxRelayed  prometheus.Counter
	// Jobs are the data lifecycle jobs' (jobs.go).
	Jobs JobMetrics
}

// New registers every collector, plus the Go runtime's and the process's.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chat_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route", "status"}),
		EventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chat_events_published_total", Help: "Events appended to the stream, by topic.",
		}, []string{"topic"}),
		EventsPersisted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_events_persisted_total", Help: "Events applied to the system of record.",
		}),
		EventsIndexed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_events_indexed_total", Help: "Events applied to the search index.",
		}),
		EventsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_events_failed_total", Help: "Failed attempts to apply an event (each is retried or dead-lettered).",
		}),
		EventsDead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_events_dead_lettered_total", Help: "Events sent to the dead-letter stream.",
		}),
		NumberConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_number_conflicts_total",
			Help: "Events refused because their number may have been handed out twice (after Redis lost data): each is an alarm.",
		}),
		StreamBacklog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chat_stream_backlog", Help: "Events not yet acknowledged by the worker group, by topic.",
		}, []string{"topic"}),
		CountersFixed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_counters_reconciled_total", Help: "Counters the periodic reconciliation found wrong and fixed.",
		}),
		ApplyLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chat_event_apply_lag_seconds",
			Help:    "Time from an event's creation to its application, by consumer group (persist, index).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60},
		}, []string{"group"}),
		WebhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chat_webhook_attempts_total", Help: "Webhook delivery attempts by result: delivered, retry (failed, tried again later), failed (the delivery given up).",
		}, []string{"result"}),
		WebhookLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chat_webhook_delivery_lag_seconds",
			Help:    "Time from an event's creation to its delivery to a webhook endpoint.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300, 3600},
		}),
		WebhooksDisabled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_webhook_endpoints_disabled_total", Help: "Webhook endpoints disabled because nothing was delivered to them for CHAT_WEBHOOK_DISABLE_AFTER.",
		}),
		FeedPruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_feed_events_pruned_total", Help: "The pull feed's events removed once older than CHAT_FEED_RETENTION.",
		}),
		DeliveriesPruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_webhook_deliveries_pruned_total", Help: "Finished (delivered or given up) webhook deliveries removed from the delivery logs once older than CHAT_FEED_RETENTION.",
		}),
		SearchDegraded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chat_search_degraded_total", Help: "Searches answered by the database fallback because the index was unavailable.",
		}),
		DependencyUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chat_dependency_up", Help: "Whether a dependency answered its last check (1) or not (0).",
		}, []string{"dependency"}),
		ReadCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chat_read_cache_total", Help: "Read cache lookups by result (hit, miss), and failed invalidations (invalidate_failed).",
		}, []string{"result"}),
	}
	m.LiveStreams = prometheus.NewGauge(prometheus.GaugeOpts{Name: "chat_live_streams", Help: "Live streams (Server-Sent Events) open on this instance."})
	m.LiveDelivered = prometheus.NewCounter(prometheus.CounterOpts{Name: "chat_live_events_delivered_total", Help: "Events handed to live streams."})
	m.LiveDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "chat_live_clients_dropped_total", Help: "Live streams ended because their client fell behind."})
	m.WritesRefused = prometheus.NewCounter(prometheus.CounterOpts{Name: "chat_writes_refused_total", Help: "Writes refused (503 overloaded) because their partition's queue was over CHAT_MAX_BACKLOG."})
	m.WriteBacklog = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chat_write_backlog", Help: "Events of a partition that a consumer group (the slower) has not acknowledged, as the api last read them for CHAT_MAX_BACKLOG, by topic."}, []string{"topic"})
	m.WritesDegraded = prometheus.NewGauge(prometheus.GaugeOpts{Name: "chat_writes_degraded", Help: "1 while this api writes through MySQL (the degraded path) because Redis cannot be reached."})
	m.OutboxRelayed = prometheus.NewCounter(prometheus.CounterOpts{Name: "chat_outbox_relayed_total", Help: "Events of the degraded path appended from the MySQL outbox to the streams."})
	r.MustRegister(m.WritesDegraded, m.OutboxRelayed, m.WritesRefused, m.WriteBacklog, m.LiveStreams, m.LiveDelivered, m.LiveDropped, m.ReadCache, m.RequestDuration, m.EventsPublished, m.EventsPersisted, m.EventsIndexed, m.EventsFailed, m.EventsDead,
		m.NumberConflicts, m.StreamBacklog, m.CountersFixed, m.ApplyLag, m.SearchDegraded, m.WebhookAttempts, m.WebhookLag, m.WebhooksDisabled, m.FeedPruned, m.DeliveriesPruned, m.DependencyUp,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Jobs = registerJobs(r)
	return m
}
