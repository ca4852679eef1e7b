package atomicperf

/*
#cgo noescape ap_throughput_window_stats
#cgo nocallback ap_throughput_window_stats
#cgo noescape apgo_throughput_window_new
#cgo nocallback apgo_throughput_window_new
#include "apgo.h"

static inline ap_status apgo_throughput_window_new(uint64_t window_ns, size_t buckets,
		uint64_t sla_ns, ap_throughput_window **out, char **msg) {
	return apgo_fail(ap_throughput_window_new(window_ns, buckets, sla_ns, out), msg);
}
*/
import "C"

import (
	"runtime"
	"time"
	"unsafe"
)

// ThroughputWindow counts events per second over a sliding window of time buckets, and how
// many of them broke a latency SLA. It replaces a mutex-guarded ring of time buckets: Record is
// a compare-and-swap on the current bucket in the C library, which also recycles a bucket older
// than the window, and Stats never blocks recorders. Time comes from the monotonic clock. A
// bucket counts up to 2^32 - 1 events and then saturates.
//
// A ThroughputWindow is safe for concurrent use. Each method is one cgo call. Close releases
// the C memory (see the package documentation on lifetime).
type ThroughputWindow struct {
	h handle
}

// WindowStats is what a [ThroughputWindow] saw over its current window.
type WindowStats struct {
	Events          uint64        // events in the window
	Violations      uint64        // events whose latency exceeded the SLA
	EventsPerSecond float64       // Events per second of Covered
	ViolationRatio  float64       // Violations / Events (0 without events)
	Covered         time.Duration // time the window covers: its length, or its age while younger
}

// NewThroughputWindow returns a window of length window split into buckets buckets, counting
// a violation for every latency above sla. A window or a bucket count that is not positive, a
// bucket shorter than 1 ns or a negative sla gives an error matching [ErrOutOfRange].
func NewThroughputWindow(window time.Duration, buckets int, sla time.Duration) (*ThroughputWindow, error) {
	const op = "NewThroughputWindow"
	if sla < 0 {
		return nil, newError(op, CodeOutOfRange, "sla must not be negative, got "+sla.String())
	}
	// Not positive: passed as 0, which the library rejects with its own message.
	var p *C.ap_throughput_window
	var msg *C.char
	st := C.apgo_throughput_window_new(C.uint64_t(max(window, 0)), C.size_t(max(buckets, 0)),
		C.uint64_t(sla), &p, &msg)
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	w := &ThroughputWindow{}
	w.h.init(unsafe.Pointer(p), freeThroughputWindow)
	w.h.cleanup = runtime.AddCleanup(w, freeThroughputWindow, unsafe.Pointer(p))
	return w, nil
}

// MustNewThroughputWindow is like NewThroughputWindow but panics on error.
func MustNewThroughputWindow(window time.Duration, buckets int, sla time.Duration) *ThroughputWindow {
	w, err := NewThroughputWindow(window, buckets, sla)
	if err != nil {
		panic(err)
	}
	return w
}

func freeThroughputWindow(p unsafe.Pointer) {
	C.ap_throughput_window_free((*C.ap_throughput_window)(p))
	handlesFreed.Add(1)
}

// Record counts one event that took latency, a violation if latency is above the SLA. A
// negative latency counts as 0. It does nothing after Close.
func (w *ThroughputWindow) Record(latency time.Duration) {
	if p := (*C.ap_throughput_window)(w.h.acquire()); p != nil {
		C.ap_throughput_window_record(p, C.uint64_t(max(latency, 0)))
		w.h.release()
	}
}

// Stats returns what the window saw over its current window, or the zero WindowStats after
// Close.
func (w *ThroughputWindow) Stats() WindowStats {
	var s C.ap_window_stats
	p := (*C.ap_throughput_window)(w.h.acquire())
	if p == nil {
		return WindowStats{}
	}
	C.ap_throughput_window_stats(p, &s)
	w.h.release()
	return WindowStats{
		Events:          uint64(s.events),
		Violations:      uint64(s.violations),
		EventsPerSecond: float64(s.events_per_second),
		ViolationRatio:  float64(s.violation_ratio),
		Covered:         time.Duration(s.covered_ns),
	}
}

// Close releases the window's C memory. It is idempotent and safe to call concurrently with
// other methods; afterwards Record does nothing and Stats returns zeros. Close always returns
// nil.
func (w *ThroughputWindow) Close() error {
	w.h.close()
	return nil
}
