package atomicperf

import (
	"sync"
	"sync/atomic"
	"testing"
)

// The benchmarks pit each call against what a Go program would otherwise use, in the same run:
// sync/atomic on Go memory and a sync.Mutex-guarded counter. "cgo" is the public method (one cgo
// call plus the two atomic adds that make Close safe), "cgo-unguarded" the bare cgo call.
// Batch benchmarks report ns/value, the cost per recorded value; single-call benchmarks report
// the same metric (equal to ns/op) so that scripts/bench-go.sh can divide one by the other.

const batchLen = 1000

type mutexCounter struct {
	mu sync.Mutex
	n  uint64
}

func (m *mutexCounter) inc() {
	m.mu.Lock()
	m.n++
	m.mu.Unlock()
}

func reportPerValue(b *testing.B, valuesPerOp int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(valuesPerOp), "ns/value")
}

// latencies returns n pseudo-random values from 1 µs to about 10 ms, like request latencies in ns.
func latencies(n int) []uint64 {
	vs := make([]uint64, n)
	x := uint64(88172645463325252)
	for i := range vs {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		vs[i] = 1000 + x%10_000_000
	}
	return vs
}

func BenchmarkCounterInc(b *testing.B) {
	b.Run("cgo", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.Inc()
		}
		reportPerValue(b, 1)
	})
	b.Run("cgo-unguarded", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.incUnguarded()
		}
		reportPerValue(b, 1)
	})
	b.Run("atomic", func(b *testing.B) {
		var n atomic.Uint64
		for i := 0; i < b.N; i++ {
			n.Add(1)
		}
		reportPerValue(b, 1)
	})
	b.Run("mutex", func(b *testing.B) {
		var m mutexCounter
		for i := 0; i < b.N; i++ {
			m.inc()
		}
		reportPerValue(b, 1)
	})
}

func BenchmarkCounterIncParallel(b *testing.B) {
	b.Run("cgo", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("cgo-unguarded", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.incUnguarded()
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("atomic", func(b *testing.B) {
		var n atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n.Add(1)
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("mutex", func(b *testing.B) {
		var m mutexCounter
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.inc()
			}
		})
		reportPerValue(b, 1)
	})
}

func BenchmarkCounterAdd(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("single", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.Add(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("many-1000", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.AddMany(vs)
		}
		reportPerValue(b, batchLen)
	})
}

func BenchmarkHistogramRecord(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("single", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		for i := 0; i < b.N; i++ {
			h.Record(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("single-unguarded", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		for i := 0; i < b.N; i++ {
			h.recordUnguarded(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("many-1000", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		for i := 0; i < b.N; i++ {
			h.RecordMany(vs)
		}
		reportPerValue(b, batchLen)
	})
}

func BenchmarkHistogramRecordParallel(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("single", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				h.Record(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("many-1000", func(b *testing.B) {
		h := MustNewHistogram()
		defer h.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				h.RecordMany(vs)
			}
		})
		reportPerValue(b, batchLen)
	})
}

func BenchmarkHistogramQuantile(b *testing.B) {
	h := MustNewHistogram()
	defer h.Close()
	h.RecordMany(latencies(batchLen))
	for i := 0; i < b.N; i++ {
		if _, err := h.Quantile(0.99); err != nil {
			b.Fatal(err)
		}
	}
}
