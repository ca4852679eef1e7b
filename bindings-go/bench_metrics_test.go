package atomicperf

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks of Timer.Record and MinMax.Record against the Go code they replace, in the same
// run: a sync.Mutex around a struct of the same fields. "direct" is the public method (sync/atomic
// on the C cells, no cgo call), "cgo" the one cgo call it replaced, "cgo-unguarded" the bare cgo
// call (Timer only). scripts/bench-go.sh prints the ratios.

// mutexTimer is the Go a service would write instead of Timer: count, errors, total, min, max
// and a histogram under one mutex. Its histogram has 64 power-of-two buckets, coarser (and so
// cheaper) than the Timer's 2-significant-figure one.
type mutexTimer struct {
	mu                   sync.Mutex
	count, errors, total uint64
	min, max             uint64
	buckets              [64]uint64
}

func (m *mutexTimer) record(ns uint64, ok bool) {
	m.mu.Lock()
	if m.count == 0 || ns < m.min {
		m.min = ns
	}
	if ns > m.max {
		m.max = ns
	}
	m.count++
	if !ok {
		m.errors++
	}
	m.total += ns
	m.buckets[bits.Len64(ns)&63]++
	m.mu.Unlock()
}

// mutexMinMax is the Go a service would write instead of MinMax.
type mutexMinMax struct {
	mu       sync.Mutex
	set      bool
	min, max uint64
}

func (m *mutexMinMax) record(v uint64) {
	m.mu.Lock()
	if !m.set || v < m.min {
		m.min = v
	}
	if !m.set || v > m.max {
		m.max = v
	}
	m.set = true
	m.mu.Unlock()
}

func BenchmarkTimerRecord(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("direct", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		for i := 0; i < b.N; i++ {
			t.Record(time.Duration(vs[i%batchLen]), i&15 != 0)
		}
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		for i := 0; i < b.N; i++ {
			t.recordCgo(vs[i%batchLen], i&15 != 0)
		}
		reportPerValue(b, 1)
	})
	b.Run("cgo-unguarded", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		for i := 0; i < b.N; i++ {
			t.recordUnguarded(vs[i%batchLen], i&15 != 0)
		}
		reportPerValue(b, 1)
	})
	b.Run("mutex", func(b *testing.B) {
		var m mutexTimer
		for i := 0; i < b.N; i++ {
			m.record(vs[i%batchLen], i&15 != 0)
		}
		reportPerValue(b, 1)
	})
}

func BenchmarkTimerRecordParallel(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("direct", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				t.Record(time.Duration(vs[i%batchLen]), i&15 != 0)
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				t.recordCgo(vs[i%batchLen], i&15 != 0)
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("mutex", func(b *testing.B) {
		var m mutexTimer
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				m.record(vs[i%batchLen], i&15 != 0)
			}
		})
		reportPerValue(b, 1)
	})
}

func BenchmarkMinMaxRecord(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("direct", func(b *testing.B) {
		m := MustNewMinMax()
		defer m.Close()
		for i := 0; i < b.N; i++ {
			m.Record(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		m := MustNewMinMax()
		defer m.Close()
		for i := 0; i < b.N; i++ {
			m.recordCgo(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
	b.Run("mutex", func(b *testing.B) {
		var m mutexMinMax
		for i := 0; i < b.N; i++ {
			m.record(vs[i%batchLen])
		}
		reportPerValue(b, 1)
	})
}

func BenchmarkMinMaxRecordParallel(b *testing.B) {
	vs := latencies(batchLen)
	b.Run("direct", func(b *testing.B) {
		m := MustNewMinMax()
		defer m.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				m.Record(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("cgo", func(b *testing.B) {
		m := MustNewMinMax()
		defer m.Close()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				m.recordCgo(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("mutex", func(b *testing.B) {
		var m mutexMinMax
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				m.record(vs[i%batchLen])
			}
		})
		reportPerValue(b, 1)
	})
}

// BenchmarkAsyncRecorderRecord measures what a caller pays to hand a timer execution to an
// AsyncRecorder (drop mode: the caller never waits) against recording it directly.
func BenchmarkAsyncRecorderRecord(b *testing.B) {
	b.Run("timer-direct", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t.RecordNanos(1500, true)
			}
		})
		reportPerValue(b, 1)
	})
	b.Run("timer-async", func(b *testing.B) {
		t := MustNewTimer()
		defer t.Close()
		r := MustNewTimerRecorder(t, nil)
		defer r.Close()
		var dropped atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if q, _ := r.RecordTimer(1500, true); !q {
					dropped.Add(1)
				}
			}
		})
		reportPerValue(b, 1)
		b.ReportMetric(float64(dropped.Load())/float64(b.N), "dropped/op")
	})
}
