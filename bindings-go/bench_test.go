package atomicperf

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
)

// The benchmarks pit each call against what a Go program would otherwise use, in the same run:
// sync/atomic on Go memory, a sync.Mutex-guarded counter and client_golang's prometheus.Counter.
// "direct" is the public method (an atomic add on the counter's C cells, no cgo call), "cgo" the
// cgo call it replaced (one cgo call plus the two atomic adds that make Close safe),
// "cgo-unguarded" the bare cgo call.
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

func newPromCounter() prometheus.Counter {
	// Not registered: the hot path (Inc) is the same, and benchmarks must not share a registry.
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "bench_total", Help: "benchmark"})
}

// Alternatives to stripeHint, measured by BenchmarkStripeChoice (see stripeHint's comment).

// stripeSlots hands out stripe indices with P affinity: a sync.Pool keeps a private item per P.
var (
	stripeSlots    = sync.Pool{New: func() any { i := nextStripeSlot.Add(1) - 1; return &i }}
	nextStripeSlot atomic.Uintptr
)

// incStackHash is Inc with the stripe from a hash of a stack address (the choice before the P
// id): concurrently running goroutines have disjoint stacks.
func (c *Counter) incStackHash() {
	base := atomic.LoadPointer(&c.cells)
	if base != nil {
		var probe byte
		// Converting the pointer to a uintptr (never back) is allowed by go vet's unsafeptr check.
		h := uintptr((uint64(uintptr(unsafe.Pointer(&probe))>>11) + uint64(stripeSalt)) * 0x9E3779B97F4A7C15 >> 40)
		atomic.AddUint64((*uint64)(unsafe.Add(base, (h&c.mask)*c.stride)), 1)
	}
	runtime.KeepAlive(c)
}

// incPool is Inc with the stripe taken from stripeSlots.
func (c *Counter) incPool() {
	base := atomic.LoadPointer(&c.cells)
	if base != nil {
		slot := stripeSlots.Get().(*uintptr)
		atomic.AddUint64((*uint64)(unsafe.Add(base, (*slot&c.mask)*c.stride)), 1)
		stripeSlots.Put(slot)
	}
	runtime.KeepAlive(c)
}

// incRoundRobin is Inc with the stripe from a per-counter round-robin index: a shared write.
func (c *Counter) incRoundRobin(next *atomic.Uintptr) {
	base := atomic.LoadPointer(&c.cells)
	if base != nil {
		atomic.AddUint64((*uint64)(unsafe.Add(base, (next.Add(1)&c.mask)*c.stride)), 1)
	}
	runtime.KeepAlive(c)
}

// incOneStripe is Inc that always adds to stripe 0: no striping at all.
func (c *Counter) incOneStripe() {
	base := atomic.LoadPointer(&c.cells)
	if base != nil {
		atomic.AddUint64((*uint64)(base), 1)
	}
	runtime.KeepAlive(c)
}

func BenchmarkCounterInc(b *testing.B) {
	b.Run("direct", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.Inc()
		}
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.incCgo()
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
	b.Run("prometheus", func(b *testing.B) {
		c := newPromCounter()
		for i := 0; i < b.N; i++ {
			c.Inc()
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
	b.Run("direct", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.incCgo()
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
	b.Run("prometheus", func(b *testing.B) {
		c := newPromCounter()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
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

// BenchmarkStripeChoice compares ways of picking a stripe without cgo, on a counter with the
// default stripes (NewCounter's: twice the CPUs, rounded up to a power of two). The stack hash
// puts two running goroutines on one stripe in about 1/stripes of the runs.
func BenchmarkStripeChoice(b *testing.B) {
	variants := []struct {
		name string
		inc  func(c *Counter, rr *atomic.Uintptr)
	}{
		{"p-id", func(c *Counter, _ *atomic.Uintptr) { c.Inc() }},
		{"stack-hash", func(c *Counter, _ *atomic.Uintptr) { c.incStackHash() }},
		{"pool", func(c *Counter, _ *atomic.Uintptr) { c.incPool() }},
		{"round-robin", func(c *Counter, rr *atomic.Uintptr) { c.incRoundRobin(rr) }},
		{"one-stripe", func(c *Counter, _ *atomic.Uintptr) { c.incOneStripe() }},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			c := MustNewCounter()
			defer c.Close()
			var rr atomic.Uintptr
			for i := 0; i < b.N; i++ {
				v.inc(c, &rr)
			}
			reportPerValue(b, 1)
		})
		b.Run(v.name+"-parallel", func(b *testing.B) {
			c := MustNewCounter()
			defer c.Close()
			var rr atomic.Uintptr
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					v.inc(c, &rr)
				}
			})
			reportPerValue(b, 1)
		})
	}
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
	b.Run("single-cgo", func(b *testing.B) {
		c := MustNewCounter()
		defer c.Close()
		for i := 0; i < b.N; i++ {
			c.addCgo(vs[i%batchLen])
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

func BenchmarkGauge(b *testing.B) {
	b.Run("set-direct", func(b *testing.B) {
		g := MustNewGauge(0)
		defer g.Close()
		for i := 0; i < b.N; i++ {
			g.Set(float64(i))
		}
		reportPerValue(b, 1)
	})
	b.Run("set-cgo", func(b *testing.B) {
		g := MustNewGauge(0)
		defer g.Close()
		for i := 0; i < b.N; i++ {
			g.setCgo(float64(i))
		}
		reportPerValue(b, 1)
	})
	b.Run("add-direct", func(b *testing.B) {
		g := MustNewGauge(0)
		defer g.Close()
		for i := 0; i < b.N; i++ {
			g.Add(1)
		}
		reportPerValue(b, 1)
	})
	b.Run("add-cgo", func(b *testing.B) {
		g := MustNewGauge(0)
		defer g.Close()
		for i := 0; i < b.N; i++ {
			g.addCgo(1)
		}
		reportPerValue(b, 1)
	})
	b.Run("add-prometheus", func(b *testing.B) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "bench", Help: "benchmark"})
		for i := 0; i < b.N; i++ {
			g.Add(1)
		}
		reportPerValue(b, 1)
	})
	b.Run("get-direct", func(b *testing.B) {
		g := MustNewGauge(1)
		defer g.Close()
		var sum float64
		for i := 0; i < b.N; i++ {
			sum += g.Get()
		}
		reportPerValue(b, 1)
		runtime.KeepAlive(sum)
	})
	b.Run("get-cgo", func(b *testing.B) {
		g := MustNewGauge(1)
		defer g.Close()
		var sum float64
		for i := 0; i < b.N; i++ {
			sum += g.getCgo()
		}
		reportPerValue(b, 1)
		runtime.KeepAlive(sum)
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
