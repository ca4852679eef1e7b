package atomicperf

/*
#cgo noescape ap_minmax_min
#cgo nocallback ap_minmax_min
#cgo noescape ap_minmax_max
#cgo nocallback ap_minmax_max
#cgo noescape apgo_minmax_new
#cgo nocallback apgo_minmax_new
#include "apgo.h"

static inline ap_status apgo_minmax_new(ap_minmax **out, char **msg) {
	return apgo_fail(ap_minmax_new(out), msg);
}
*/
import "C"

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// MinMax is the running minimum and maximum of uint64 values, the lock-free replacement for a
// mutex-guarded pair of extremes. Record is two compare-and-swap loops in the C library that
// only write when the value is a new extreme, so goroutines recording at once do not serialise.
// An empty MinMax is distinguishable from one that saw 0: Min and Max report ok == false.
//
// A MinMax is safe for concurrent use. Record makes no cgo call: it updates the three cells in
// C memory with sync/atomic, as described once by ap_minmax_cells (see [Histogram]); a value
// that is not a new extreme is three loads and no write. Min, Max and Reset are one cgo call
// each. Close releases the handle; the cells are freed when the MinMax becomes unreachable,
// since a Record racing with Close may still be writing them.
type MinMax struct {
	// Read by every Record: &layout, or nil once closed (accessed atomically).
	cells    atomic.Pointer[minmaxCells]
	layout   minmaxCells
	cellsRef unsafe.Pointer // a clone of the handle that keeps the cells alive; freed by a cleanup
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
	h handle
}

// NewMinMax returns an empty MinMax.
func NewMinMax() (*MinMax, error) {
	var p *C.ap_minmax
	var msg *C.char
	if err := check("NewMinMax", C.apgo_minmax_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapMinMax(p), nil
}

func wrapMinMax(p *C.ap_minmax) *MinMax {
	layout, ok := minmaxLayout(p)
	if !ok {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_minmax_free(p)
		panic("atomicperf: ap_minmax_cells returned an unusable description")
	}
	m := &MinMax{layout: layout}
	m.cellsRef = unsafe.Pointer(C.ap_minmax_clone(p))
	m.cells.Store(&m.layout)
	m.h.init(unsafe.Pointer(p), freeMinMax)
	m.h.cleanup = runtime.AddCleanup(m, freeMinMax, unsafe.Pointer(p))
	runtime.AddCleanup(m, freeMinMax, m.cellsRef)
	return m
}

// MustNewMinMax is like NewMinMax but panics on error.
func MustNewMinMax() *MinMax {
	m, err := NewMinMax()
	if err != nil {
		panic(err)
	}
	return m
}

func freeMinMax(p unsafe.Pointer) {
	C.ap_minmax_free((*C.ap_minmax)(p))
	handlesFreed.Add(1)
}

// Record takes v into the running extremes, without a cgo call. It does nothing after Close.
func (m *MinMax) Record(v uint64) {
	if c := m.cells.Load(); c != nil {
		c.record(v)
	}
	// m must stay reachable until the record is done: its cleanup frees the cells.
	runtime.KeepAlive(m)
}

// recordCgo is the cgo Record this type had before the direct path, kept for the benchmarks.
func (m *MinMax) recordCgo(v uint64) {
	if p := (*C.ap_minmax)(m.h.acquire()); p != nil {
		C.ap_minmax_record(p, C.uint64_t(v))
		m.h.release()
	}
}

// Min returns the smallest recorded value. ok is false when nothing was recorded since creation
// or the last Reset, or after Close.
func (m *MinMax) Min() (v uint64, ok bool) {
	var out C.uint64_t
	if p := (*C.ap_minmax)(m.h.acquire()); p != nil {
		ok = C.ap_minmax_min(p, &out) == C.AP_OK
		m.h.release()
	}
	return uint64(out), ok
}

// Max returns the largest recorded value. ok is false when nothing was recorded since creation
// or the last Reset, or after Close.
func (m *MinMax) Max() (v uint64, ok bool) {
	var out C.uint64_t
	if p := (*C.ap_minmax)(m.h.acquire()); p != nil {
		ok = C.ap_minmax_max(p, &out) == C.AP_OK
		m.h.release()
	}
	return uint64(out), ok
}

// Reset forgets every value, so that Min and Max report ok == false until the next Record.
// Values recorded concurrently with Reset may or may not be kept. It does nothing after Close.
func (m *MinMax) Reset() {
	if p := (*C.ap_minmax)(m.h.acquire()); p != nil {
		C.ap_minmax_reset(p)
		m.h.release()
	}
}

// Close releases the MinMax's handle (the cells are freed once the MinMax is unreachable). It is
// idempotent and safe to call concurrently with
// other methods; afterwards Record and Reset do nothing and Min and Max report false. Close
// always returns nil.
func (m *MinMax) Close() error {
	if m.h.registry {
		return nil // owned by a Registry (see Registry)
	}
	m.cells.Store(nil)
	m.h.close()
	return nil
}
