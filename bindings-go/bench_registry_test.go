package atomicperf

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Benchmarks of the Registry against client_golang, in the same run (scripts/bench-go.sh prints
// the ratios): looking up an existing labelled counter (Registry.Counter against
// CounterVec.WithLabelValues and CounterVec.With), and exporting 10,000 series as Prometheus
// text (Registry.Export against Gather plus expfmt's text encoding, and against our Collector
// gathered by client_golang). Then the per-call costs that a service pays on its hot paths and
// that the binding-overhead summary puts side by side: Histogram.Record (direct cell writes)
// against client_golang's Histogram.Observe, and SnapshotCell.Load against an atomic.Pointer and
// an RWMutex-guarded value.

const exportSeries = 10_000

func BenchmarkRegistryLookup(b *testing.B) {
	labels := Labels{"method": "GET", "code": "200"}
	b.Run("atomicperf", func(b *testing.B) {
		r := MustNewRegistry()
		defer r.Close()
		r.MustCounter("lookup_total", "Look-ups.", labels).Inc()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c, err := r.Counter("lookup_total", "Look-ups.", labels)
			if err != nil {
				b.Fatal(err)
			}
			c.Inc()
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus-values", func(b *testing.B) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lookup_total", Help: "Look-ups."}, []string{"method", "code"})
		v.WithLabelValues("GET", "200").Inc()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			v.WithLabelValues("GET", "200").Inc()
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus-labels", func(b *testing.B) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lookup_total", Help: "Look-ups."}, []string{"method", "code"})
		pl := prometheus.Labels(labels)
		v.With(pl).Inc()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			v.With(pl).Inc()
		}
		reportPerValue(b, 1)
	})
}

func BenchmarkRegistryLookupParallel(b *testing.B) {
	labels := Labels{"method": "GET", "code": "200"}
	b.Run("atomicperf", func(b *testing.B) {
		r := MustNewRegistry()
		defer r.Close()
		r.MustCounter("lookup_total", "Look-ups.", labels).Inc()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.MustCounter("lookup_total", "Look-ups.", labels).Inc()
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("prometheus-values", func(b *testing.B) {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lookup_total", Help: "Look-ups."}, []string{"method", "code"})
		v.WithLabelValues("GET", "200").Inc()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				v.WithLabelValues("GET", "200").Inc()
			}
		})
		reportPerValue(b, 1)
	})
}

// seriesLabels returns the route and code of series i of the export benchmarks: 100 × 100.
func seriesLabels(i int) (string, string) {
	return fmt.Sprintf("/api/v1/r%02d", i/100), fmt.Sprint(100 + i%100)
}

func newExportRegistry(b *testing.B) *Registry {
	r := MustNewRegistry()
	for i := 0; i < exportSeries; i++ {
		route, code := seriesLabels(i)
		c := r.MustCounter("http_requests_total", "Requests served.", Labels{"route": route, "code": code})
		c.Add(uint64(i))
		c.Close()
	}
	return r
}

func newExportPromRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests served."}, []string{"route", "code"})
	reg.MustRegister(v)
	for i := 0; i < exportSeries; i++ {
		route, code := seriesLabels(i)
		v.WithLabelValues(route, code).Add(float64(i))
	}
	return reg
}

func BenchmarkRegistryExport(b *testing.B) {
	b.Run("atomicperf", func(b *testing.B) {
		r := newExportRegistry(b)
		defer r.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			out, err := r.Export(FormatPrometheus)
			if err != nil || len(out) == 0 {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("atomicperf-json", func(b *testing.B) {
		r := newExportRegistry(b)
		defer r.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := r.Export(FormatJSON); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("atomicperf-collector-text", func(b *testing.B) {
		// Our Collector gathered and encoded by client_golang: what a client_golang user pays.
		r := newExportRegistry(b)
		defer r.Close()
		reg := prometheus.NewRegistry()
		reg.MustRegister(NewCollector(r))
		var buf bytes.Buffer
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			buf.Reset()
			gatherText(b, reg, &buf)
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus-gather", func(b *testing.B) {
		reg := newExportPromRegistry()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus-text", func(b *testing.B) {
		// Gather plus the text encoding: what promhttp does per scrape (without compression).
		reg := newExportPromRegistry()
		var buf bytes.Buffer
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			buf.Reset()
			gatherText(b, reg, &buf)
		}
		reportPerValue(b, 1)
	})
}

func gatherText(b *testing.B, reg *prometheus.Registry, buf *bytes.Buffer) {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(buf, mf); err != nil {
			b.Fatal(err)
		}
	}
}

// Histogram.Record writes the C cells with sync/atomic ("direct"; "cgo" is the one cgo call it
// replaced); client_golang's Observe is Go atomics on Go memory.
func BenchmarkHistogramObserve(b *testing.B) {
	vs := latencies(1024)
	b.Run("direct", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h.Record(vs[i&1023])
		}
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h.recordCgo(vs[i&1023])
		}
		reportPerValue(b, 1)
	})
	b.Run("prometheus", func(b *testing.B) {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_seconds", Help: "benchmark"})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h.Observe(float64(vs[i&1023]) * 1e-9)
		}
		reportPerValue(b, 1)
	})
}

func BenchmarkHistogramObserveParallel(b *testing.B) {
	vs := latencies(1024)
	b.Run("direct", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				h.Record(vs[i&1023])
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("prometheus", func(b *testing.B) {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "bench_seconds", Help: "benchmark"})
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				h.Observe(float64(vs[i&1023]) * 1e-9)
			}
		})
		reportPerValue(b, 1)
	})
}

// SnapshotCell.Load of an unchanged value is one atomic load of the library's revision cell and
// hands out the Go value's cached copy ("unchanged"); "copy" is LoadCopy, one cgo call that
// copies the value out of C memory. The Go alternatives hand out their stored slice.
func BenchmarkSnapshotCellLoad(b *testing.B) {
	value := bytes.Repeat([]byte("rate-table "), 8) // 88 bytes
	b.Run("unchanged", func(b *testing.B) {
		c := MustNewSnapshotCell(value)
		defer c.Close()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if v, _, err := c.Load(); err != nil || len(v) != len(value) {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("copy", func(b *testing.B) {
		c := MustNewSnapshotCell(value)
		defer c.Close()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if v, _, err := c.LoadCopy(); err != nil || len(v) != len(value) {
				b.Fatal(err)
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("atomic.Pointer", func(b *testing.B) {
		var p atomic.Pointer[[]byte]
		p.Store(&value)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if v := *p.Load(); len(v) != len(value) {
				b.Fatal("short")
			}
		}
		reportPerValue(b, 1)
	})
	b.Run("rwmutex", func(b *testing.B) {
		var mu sync.RWMutex
		v := value
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			mu.RLock()
			got := v
			mu.RUnlock()
			if len(got) != len(value) {
				b.Fatal("short")
			}
		}
		reportPerValue(b, 1)
	})
}
