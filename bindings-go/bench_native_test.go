package atomicperf

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// NativeHistogram.Record against the classic Histogram.Record (the same latencies, in seconds
// for the native one) and against client_golang's native histogram (NativeHistogramBucketFactor
// 1.1, schema 3) Observe, one goroutine and RunParallel. scripts/bench-go.sh prints the ratios.

func latencySeconds(n int) []float64 {
	ns := latencies(n)
	out := make([]float64, n)
	for i, v := range ns {
		out[i] = float64(v) / 1e9
	}
	return out
}

func benchNative(b *testing.B, parallel bool) {
	ns, secs := latencies(batchLen), latencySeconds(batchLen)
	run := func(b *testing.B, record func(i int)) {
		if parallel {
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					record(i % batchLen)
				}
			})
		} else {
			for i := 0; i < b.N; i++ {
				record(i % batchLen)
			}
		}
		reportPerValue(b, 1)
	}
	b.Run("native", func(b *testing.B) {
		h := MustNewNativeHistogram()
		defer h.Close()
		run(b, func(i int) { h.Record(secs[i]) })
	})
	b.Run("classic", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		run(b, func(i int) { h.Record(ns[i]) })
	})
	b.Run("client_golang-native", func(b *testing.B) {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bench_seconds", Help: "benchmark", NativeHistogramBucketFactor: 1.1,
		})
		run(b, func(i int) { h.Observe(secs[i]) })
	})
}

func BenchmarkNativeHistogramRecord(b *testing.B)         { benchNative(b, false) }
func BenchmarkNativeHistogramRecordParallel(b *testing.B) { benchNative(b, true) }
