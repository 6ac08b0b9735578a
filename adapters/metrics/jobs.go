package metrics

import "github.com/prometheus/client_golang/prometheus"

// JobMetrics are the data lifecycle jobs': how many are waiting or
// running, how much they did, and how long the stalest has made no
// progress (the stuck-job alert reads it).
type JobMetrics struct {
	// Open: jobs not done, by kind and state (pending, running), as the
	// runner last counted them in the store.
	Open *prometheus.GaugeVec
	// Progress: rows, documents and keys the jobs handled, by kind.
	Progress *prometheus.CounterVec
	// Stalled: seconds since the least recently advanced job that is not
	// done last advanced (0: none).
	Stalled prometheus.Gauge
}

func registerJobs(r *prometheus.Registry) JobMetrics {
	j := JobMetrics{
		Open: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "chat_lifecycle_jobs",
			Help: "Data lifecycle jobs not done, by kind and state (pending, running)."}, []string{"kind", "state"}),
		Progress: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "chat_lifecycle_job_progress_total",
			Help: "Rows, index documents and Redis keys the data lifecycle jobs handled, by kind."}, []string{"kind"}),
		Stalled: prometheus.NewGauge(prometheus.GaugeOpts{Name: "chat_lifecycle_job_stalled_seconds",
			Help: "Seconds since the data lifecycle job that advanced least recently (not done) last advanced; 0 when none is open."}),
	}
	r.MustRegister(j.Open, j.Progress, j.Stalled)
	return j
}
