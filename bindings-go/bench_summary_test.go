package atomicperf

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkSummaryRecord: a Summary record (direct writes to the current histogram's C cells)
// beside a Histogram record (direct writes to its C cells), the Summary's one cgo call (its
// Record before the direct path, still taken at a slot change) and client_golang's
// Summary.Observe (a mutex and quantile streams) in the same run; scripts/bench-go.sh prints
// Summary / Histogram (target at most 2x).
func BenchmarkSummaryRecord(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("histogram", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		for i := 0; i < b.N; i++ {
			h.Record(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("summary", func(b *testing.B) {
		s := MustNewSummary(SummaryOpts{})
		defer s.Close()
		for i := 0; i < b.N; i++ {
			s.Record(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("summary-cgo", func(b *testing.B) {
		s := MustNewSummary(SummaryOpts{})
		defer s.Close()
		for i := 0; i < b.N; i++ {
			s.recordCgo(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus", func(b *testing.B) {
		s := prometheus.NewSummary(prometheus.SummaryOpts{
			Name:       "x",
			Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001},
		})
		for i := 0; i < b.N; i++ {
			s.Observe(float64(vs[i%batchLen]) / 1e9)
		}
		reportPerValue(b, 1)
	})
}

func BenchmarkSummaryRecordParallel(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("histogram", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				h.Record(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("summary", func(b *testing.B) {
		s := MustNewSummary(SummaryOpts{})
		defer s.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				s.Record(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("summary-cgo", func(b *testing.B) {
		s := MustNewSummary(SummaryOpts{})
		defer s.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				s.recordCgo(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
}
