package atomicperf

/*
#cgo noescape ap_timer_snapshot
#cgo nocallback ap_timer_snapshot
#cgo noescape apgo_timer_new
#cgo nocallback apgo_timer_new
#cgo noescape apgo_timer_new_with_precision
#cgo nocallback apgo_timer_new_with_precision
#cgo noescape apgo_timer_quantile
#cgo nocallback apgo_timer_quantile
#include "apgo.h"

static inline ap_status apgo_timer_new(ap_timer **out, char **msg) {
	return apgo_fail(ap_timer_new(out), msg);
}

static inline ap_status apgo_timer_new_with_precision(uint32_t sigfigs, uint64_t highest_ns,
		ap_timer **out, char **msg) {
	return apgo_fail(ap_timer_new_with_precision(sigfigs, highest_ns, out), msg);
}

static inline ap_status apgo_timer_quantile(const ap_timer *t, double q, uint64_t *out,
		char **msg) {
	return apgo_fail(ap_timer_quantile(t, q, out), msg);
}
*/
import "C"

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Timer keeps the execution metrics of one operation (a handler, a rule, a query): how many
// times it ran, how many of those failed, the total, shortest and longest duration and a
// histogram of durations for quantiles. It replaces a mutex-guarded struct of those fields:
// Record is a few atomic updates in the C library, so goroutines timing at once do not
// serialise, and Stats reads every statistic without stopping them.
//
// Time a call with
//
//	defer t.Start().Stop()
//
// or, to count failures, with [Timer.Time] or [Stopwatch.Fail].
//
// A Timer is safe for concurrent use. Record, RecordNanos, Time and the Stopwatch make no cgo
// call: they update the timer's cells in C memory with sync/atomic (its duration histogram and
// error count, described once by ap_timer_layout; see [Histogram]). Stats, Quantile and Reset
// are one cgo call each. Close releases the handle; the cells are freed when the Timer becomes
// unreachable, since a Record racing with Close may still be writing them.
type Timer struct {
	// Read by every Record: &layout, or nil once closed (accessed atomically).
	cells    atomic.Pointer[timerCells]
	layout   timerCells
	cellsRef unsafe.Pointer // a clone of the handle that keeps the cells alive; freed by a cleanup
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
	h handle
}

// TimerStats holds every statistic of a [Timer], read at one moment. When Count is 0 every
// duration is 0. Quantiles are within the timer's precision (1% by default) of the exact value.
type TimerStats struct {
	Count  uint64        // executions recorded
	Errors uint64        // executions recorded as failures
	Total  time.Duration // sum of every duration
	Min    time.Duration // shortest duration
	Max    time.Duration // longest duration
	Mean   time.Duration // Total / Count, rounded to the nanosecond
	P50    time.Duration // median
	P90    time.Duration // 90th percentile
	P99    time.Duration // 99th percentile
	P999   time.Duration // 99.9th percentile
}

// NewTimer returns a timer whose histogram keeps 2 significant figures for durations up to
// 60 s; longer durations are clamped to 60 s, as in [Histogram].
func NewTimer() (*Timer, error) {
	var p *C.ap_timer
	var msg *C.char
	if err := check("NewTimer", C.apgo_timer_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapTimer(p), nil
}

// NewTimerWithPrecision returns a timer whose histogram keeps sigfigs significant figures (1 to
// 5) for durations up to highest; longer durations are clamped to highest. Precision outside
// 1..5 or highest below 2 ns gives an error matching [ErrOutOfRange].
func NewTimerWithPrecision(sigfigs uint32, highest time.Duration) (*Timer, error) {
	var p *C.ap_timer
	var msg *C.char
	st := C.apgo_timer_new_with_precision(C.uint32_t(sigfigs), C.uint64_t(max(highest, 0)), &p, &msg)
	if err := check("NewTimerWithPrecision", st, msg); err != nil {
		return nil, err
	}
	return wrapTimer(p), nil
}

// MustNewTimer is like NewTimer but panics on error.
func MustNewTimer() *Timer {
	t, err := NewTimer()
	if err != nil {
		panic(err)
	}
	return t
}

// MustNewTimerWithPrecision is like NewTimerWithPrecision but panics on error.
func MustNewTimerWithPrecision(sigfigs uint32, highest time.Duration) *Timer {
	t, err := NewTimerWithPrecision(sigfigs, highest)
	if err != nil {
		panic(err)
	}
	return t
}

func freeTimer(p unsafe.Pointer) {
	C.ap_timer_free((*C.ap_timer)(p))
	handlesFreed.Add(1)
}

func wrapTimer(p *C.ap_timer) *Timer {
	layout, ok := timerLayout(p)
	if !ok {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_timer_free(p)
		panic("atomicperf: ap_timer_layout returned an unusable description")
	}
	t := &Timer{layout: layout}
	t.cellsRef = unsafe.Pointer(C.ap_timer_clone(p))
	t.cells.Store(&t.layout)
	t.h.init(unsafe.Pointer(p), freeTimer)
	t.h.cleanup = runtime.AddCleanup(t, freeTimer, unsafe.Pointer(p))
	runtime.AddCleanup(t, freeTimer, t.cellsRef)
	return t
}

// Record records one execution that took d; ok == false also counts it as a failure. A negative
// d is recorded as 0. It does nothing after Close.
func (t *Timer) Record(d time.Duration, ok bool) {
	t.RecordNanos(uint64(max(d, 0)), ok)
}

// RecordNanos is Record with the duration in nanoseconds.
func (t *Timer) RecordNanos(ns uint64, ok bool) {
	if c := t.cells.Load(); c != nil {
		c.durations.record(ns, 1)
		if !ok {
			atomic.AddUint64((*uint64)(c.errors), 1)
		}
	}
	// t must stay reachable until the record is done: its cleanup frees the cells.
	runtime.KeepAlive(t)
}

// recordCgo is the cgo RecordNanos this type had before the direct path, kept for the
// benchmarks that measure what the direct path saves.
func (t *Timer) recordCgo(ns uint64, ok bool) {
	if p := (*C.ap_timer)(t.h.acquire()); p != nil {
		C.ap_timer_record(p, C.uint64_t(ns), C.bool(ok))
		t.h.release()
	}
}

// Stats returns every statistic, read at one moment. It returns the zero TimerStats after
// Close.
func (t *Timer) Stats() TimerStats {
	var s C.ap_timer_stats
	p := (*C.ap_timer)(t.h.acquire())
	if p == nil {
		return TimerStats{}
	}
	C.ap_timer_snapshot(p, &s)
	t.h.release()
	return TimerStats{
		Count:  uint64(s.count),
		Errors: uint64(s.errors),
		Total:  time.Duration(s.total_ns),
		Min:    time.Duration(s.min_ns),
		Max:    time.Duration(s.max_ns),
		Mean:   time.Duration(math.Round(float64(s.mean_ns))),
		P50:    time.Duration(s.p50_ns),
		P90:    time.Duration(s.p90_ns),
		P99:    time.Duration(s.p99_ns),
		P999:   time.Duration(s.p999_ns),
	}
}

// Quantile returns the duration at quantile q: 0 is the shortest, 0.5 the median, 1 the
// longest. The error matches [ErrOutOfRange] when q is NaN or outside [0, 1], [ErrEmpty] when
// nothing was recorded, and is [ErrClosed] after Close.
func (t *Timer) Quantile(q float64) (time.Duration, error) {
	p := (*C.ap_timer)(t.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var out C.uint64_t
	var msg *C.char
	st := C.apgo_timer_quantile(p, C.double(q), &out, &msg)
	t.h.release()
	if err := check("Timer.Quantile", st, msg); err != nil {
		return 0, err
	}
	return time.Duration(out), nil
}

// Reset forgets everything recorded. Executions recorded concurrently with Reset may be partly
// kept. It does nothing after Close.
func (t *Timer) Reset() {
	if p := (*C.ap_timer)(t.h.acquire()); p != nil {
		C.ap_timer_reset(p)
		t.h.release()
	}
}

// Close releases the timer's handle (the cells are freed once the Timer is unreachable). It is
// idempotent and safe to call concurrently with
// other methods; afterwards Record does nothing, Stats returns zeros and Quantile returns
// [ErrClosed]. Close always returns nil.
func (t *Timer) Close() error {
	if t.h.registry {
		return nil // owned by a Registry (see Registry)
	}
	t.cells.Store(nil)
	t.h.close()
	return nil
}

// Start starts timing one execution: call Stop on the result when it succeeded, or Fail when
// it failed, exactly once. Deferring the whole chain times the rest of the function:
//
//	defer t.Start().Stop()
func (t *Timer) Start() Stopwatch {
	return Stopwatch{t: t, start: time.Now()}
}

// Time runs f, records how long it took, as a failure when f returns an error or panics, and
// returns f's error (a panic goes on after it is recorded).
func (t *Timer) Time(f func() error) (err error) {
	start := time.Now()
	ok := false
	defer func() { t.Record(time.Since(start), ok) }()
	err = f()
	ok = err == nil
	return err
}

// Stopwatch is one execution being timed by a [Timer], returned by [Timer.Start]. It is a small
// value that holds no C memory; Stop or Fail records it.
type Stopwatch struct {
	t     *Timer
	start time.Time
}

// Stop records the execution as a success and returns how long it took. Each call records one
// execution.
func (s Stopwatch) Stop() time.Duration {
	d := time.Since(s.start)
	s.t.Record(d, true)
	return d
}

// Fail records the execution as a failure and returns how long it took. Each call records one
// execution.
func (s Stopwatch) Fail() time.Duration {
	d := time.Since(s.start)
	s.t.Record(d, false)
	return d
}

// recordUnguarded is RecordNanos without the Close bookkeeping, for the benchmark that
// measures it.
func (t *Timer) recordUnguarded(ns uint64, ok bool) {
	C.ap_timer_record((*C.ap_timer)(t.h.load()), C.uint64_t(ns), C.bool(ok))
	runtime.KeepAlive(t)
}
