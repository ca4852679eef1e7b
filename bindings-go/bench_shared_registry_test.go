package atomicperf

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// Benchmarks of the direct writes of a SharedRegistry's metrics, whose cells are in a
// shared-memory segment, against the same metrics of an in-process Registry, in the same run
// (target: shared within 1.5x of in-process): Counter.Inc, Gauge.Add, Histogram.Record and
// Timer.Record, in one goroutine and under RunParallel. Both paths run the same Go code on cells
// of the same layout; what can differ is the memory (a MAP_SHARED mapping of /dev/shm against
// the Rust heap) and the number of counter stripes. Sub-benchmarks are <metric>/<inprocess|shared>.

// benchRegistries returns an in-process Registry and a SharedRegistry in /dev/shm (by name, so
// on tmpfs as in production; unlinked at the end of the benchmark).
func benchRegistries(b *testing.B) (*Registry, *SharedRegistry) {
	b.Helper()
	local := MustNewRegistry()
	shared, err := OpenSharedRegistry(fmt.Sprintf("gobench-%d-%d", os.Getpid(), time.Now().UnixNano()), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = shared.Unlink()
		shared.Close()
		local.Close()
	})
	return local, shared
}

// sharedBenches returns, for each metric (in sharedBenchNames' order), the benchmark of an
// in-process one and of a shared one: a loop of direct method calls, in one goroutine or under
// RunParallel.
func sharedBenches(b *testing.B, parallel bool) [][2]func(*testing.B) {
	local, shared := benchRegistries(b)
	bench := func(single func(n int), each func(pb *testing.PB)) func(*testing.B) {
		return func(b *testing.B) {
			if parallel {
				b.RunParallel(each)
			} else {
				single(b.N)
			}
			reportPerValue(b, 1)
		}
	}
	counter := func(c *Counter) func(*testing.B) {
		return bench(func(n int) {
			for i := 0; i < n; i++ {
				c.Inc()
			}
		}, func(pb *testing.PB) {
			for pb.Next() {
				c.Inc()
			}
		})
	}
	gauge := func(g *Gauge) func(*testing.B) {
		return bench(func(n int) {
			for i := 0; i < n; i++ {
				g.Add(1)
			}
		}, func(pb *testing.PB) {
			for pb.Next() {
				g.Add(1)
			}
		})
	}
	histogram := func(h *Histogram) func(*testing.B) {
		return bench(func(n int) {
			for i := 0; i < n; i++ {
				h.Record(1_500_000)
			}
		}, func(pb *testing.PB) {
			for pb.Next() {
				h.Record(1_500_000)
			}
		})
	}
	timer := func(t *Timer) func(*testing.B) {
		return bench(func(n int) {
			for i := 0; i < n; i++ {
				t.RecordNanos(1_500_000, true)
			}
		}, func(pb *testing.PB) {
			for pb.Next() {
				t.RecordNanos(1_500_000, true)
			}
		})
	}
	return [][2]func(*testing.B){
		{counter(local.MustCounter("c", "", nil)), counter(shared.MustCounter("c", "", nil))},
		{gauge(local.MustGauge("g", "", nil)), gauge(shared.MustGauge("g", "", nil, GaugeModeLiveSum))},
		{histogram(local.MustHistogram("h", "", nil, HistogramOpts{})), histogram(shared.MustHistogram("h", "", nil, HistogramOpts{}))},
		{timer(local.MustTimer("t", "", nil)), timer(shared.MustTimer("t", "", nil))},
	}
}

var sharedBenchNames = []string{"counter-inc", "gauge-add", "histogram-record", "timer-record"}

func runSharedBenches(b *testing.B, parallel bool) {
	for i, pair := range sharedBenches(b, parallel) {
		b.Run(sharedBenchNames[i]+"/inprocess", pair[0])
		b.Run(sharedBenchNames[i]+"/shared", pair[1])
	}
}

func BenchmarkSharedRegistryRecord(b *testing.B) {
	runSharedBenches(b, false)
}

func BenchmarkSharedRegistryRecordParallel(b *testing.B) {
	runSharedBenches(b, true)
}
