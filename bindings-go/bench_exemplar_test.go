package atomicperf

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Recording with an exemplar against the plain record (target: at most 2x), and against
// client_golang's AddWithExemplar / ObserveWithExemplar. scripts/bench-go.sh prints the ratios.
func BenchmarkExemplar(b *testing.B) {
	ex := Labels{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}
	pex := prometheus.Labels(ex)
	r := MustNewRegistry()
	defer r.Close()
	c := r.MustCounter("jobs", "", nil)
	h := r.MustHistogram("latency_seconds", "", nil, HistogramOpts{})
	b.Run("counter-inc", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c.Inc()
		}
		reportPerValue(b, 1)
	})
	b.Run("counter-inc-exemplar", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = c.IncWithExemplar(ex, time.Time{})
		}
		reportPerValue(b, 1)
	})
	b.Run("histogram-record", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			h.Record(uint64(i))
		}
		reportPerValue(b, 1)
	})
	b.Run("histogram-record-exemplar", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = h.RecordWithExemplar(uint64(i), ex, time.Time{})
		}
		reportPerValue(b, 1)
	})
	pc := prometheus.NewCounter(prometheus.CounterOpts{Name: "jobs", Help: "h"})
	b.Run("client_golang-counter-exemplar", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			pc.(prometheus.ExemplarAdder).AddWithExemplar(1, pex)
		}
		reportPerValue(b, 1)
	})
	ph := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency_seconds", Help: "h"})
	b.Run("client_golang-histogram-exemplar", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ph.(prometheus.ExemplarObserver).ObserveWithExemplar(float64(i)*1e-9, pex)
		}
		reportPerValue(b, 1)
	})
}
