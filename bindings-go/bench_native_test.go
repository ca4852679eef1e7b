package atomicperf

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
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

// BenchmarkNativeHistogramExport: one scrape of 10,000 native-histogram series (100 values each)
// in the protobuf format, ours against client_golang's Gather (and Gather plus the delimited
// protobuf encoding a scrape needs).
func BenchmarkNativeHistogramExport(b *testing.B) {
	const series = 10_000
	vs := latencySeconds(100)
	r := MustNewRegistry()
	defer r.Close()
	reg := prometheus.NewRegistry()
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rpc_seconds", Help: "RPC latency.", NativeHistogramBucketFactor: 1.1,
	}, []string{"id"})
	reg.MustRegister(vec)
	for i := 0; i < series; i++ {
		id := strconv.Itoa(i)
		ours := r.MustNativeHistogram("rpc_seconds", "RPC latency.", Labels{"id": id}, NativeHistogramOpts{})
		theirs := vec.WithLabelValues(id)
		for _, v := range vs {
			ours.Record(v)
			theirs.Observe(v)
		}
	}
	b.Run("atomicperf", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := r.Export(FormatProtobuf); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus-gather", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus-gather-protobuf", func(b *testing.B) {
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			mfs, err := reg.Gather()
			if err != nil {
				b.Fatal(err)
			}
			enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeProtoDelim))
			for _, mf := range mfs {
				if err := enc.Encode(mf); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportPerValue(b, 1)
	})
}
