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
	}
	r.MustRegister(m.RequestDuration, m.EventsPublished, m.EventsPersisted, m.EventsIndexed, m.EventsFailed, m.EventsDead,
		m.NumberConflicts, m.StreamBacklog, m.CountersFixed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
