package atomicperf

/*
#cgo pkg-config: atomicperf
#cgo noescape ap_gauge_get
#cgo nocallback ap_gauge_get
#cgo noescape apgo_gauge_new
#cgo nocallback apgo_gauge_new
#include "apgo.h"

static inline ap_status apgo_gauge_new(double initial, ap_gauge **out, char **msg) {
	return apgo_fail(ap_gauge_new(initial, out), msg);
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Gauge is a float64 that many goroutines set and adjust without a lock: the replacement for a
// mutex-guarded float. The value is kept as IEEE-754 bits in one atomic word in the C library;
// Add, Sub, SetMax and SetMin are compare-and-swap loops, so no update is lost.
//
// A Gauge is safe for concurrent use. Each method is one cgo call. Close releases the C memory
// (see the package documentation on lifetime).
type Gauge struct {
	h handle
}

// NewGauge returns a gauge holding initial.
func NewGauge(initial float64) (*Gauge, error) {
	var p *C.ap_gauge
	var msg *C.char
	if err := check("NewGauge", C.apgo_gauge_new(C.double(initial), &p, &msg), msg); err != nil {
		return nil, err
	}
	g := &Gauge{}
	g.h.init(unsafe.Pointer(p), freeGauge)
	g.h.cleanup = runtime.AddCleanup(g, freeGauge, unsafe.Pointer(p))
	return g, nil
}

// MustNewGauge is like NewGauge but panics on error.
func MustNewGauge(initial float64) *Gauge {
	g, err := NewGauge(initial)
	if err != nil {
		panic(err)
	}
	return g
}

func freeGauge(p unsafe.Pointer) {
	C.ap_gauge_free((*C.ap_gauge)(p))
	handlesFreed.Add(1)
}

// Set replaces the value. It does nothing after Close.
func (g *Gauge) Set(v float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_set(p, C.double(v))
		g.h.release()
	}
}

// Get returns the current value, or 0 after Close.
func (g *Gauge) Get() float64 {
	var v C.double
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_get(p, &v)
		g.h.release()
	}
	return float64(v)
}

// Add adds d, which may be negative. It does nothing after Close.
func (g *Gauge) Add(d float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_add(p, C.double(d))
		g.h.release()
	}
}

// Sub subtracts d. It does nothing after Close.
func (g *Gauge) Sub(d float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_sub(p, C.double(d))
		g.h.release()
	}
}

// Inc adds 1. It does nothing after Close.
func (g *Gauge) Inc() {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_inc(p)
		g.h.release()
	}
}

// Dec subtracts 1. It does nothing after Close.
func (g *Gauge) Dec() {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_dec(p)
		g.h.release()
	}
}

// SetMax raises the value to v if v is greater: a high-water mark. It does nothing after Close.
func (g *Gauge) SetMax(v float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_set_max(p, C.double(v))
		g.h.release()
	}
}

// SetMin lowers the value to v if v is smaller: a low-water mark. It does nothing after Close.
func (g *Gauge) SetMin(v float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_set_min(p, C.double(v))
		g.h.release()
	}
}

// Close releases the gauge's C memory. It is idempotent and safe to call concurrently with
// other methods; afterwards writes do nothing and Get returns 0. Close always returns nil.
func (g *Gauge) Close() error {
	g.h.close()
	return nil
}
