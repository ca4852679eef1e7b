package atomicperf

/*
#cgo noescape ap_gauge_get
#cgo nocallback ap_gauge_get
#cgo noescape ap_gauge_cells
#cgo nocallback ap_gauge_cells
#cgo noescape apgo_gauge_new
#cgo nocallback apgo_gauge_new
#include "apgo.h"

static inline ap_status apgo_gauge_new(double initial, ap_gauge **out, char **msg) {
	return apgo_fail(ap_gauge_new(initial, out), msg);
}
*/
import "C"

import (
	"math"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Gauge is a float64 that many goroutines set and adjust without a lock: the replacement for a
// mutex-guarded float. The value is kept as IEEE-754 bits in one atomic word in the C library;
// Add, Sub, SetMax and SetMin are compare-and-swap loops, so no update is lost.
//
// A Gauge is safe for concurrent use. No method makes a cgo call: at creation the gauge asks the
// library once, with ap_gauge_cells, where its word is (kind AP_CELL_GAUGE_BITS), and from then
// on Set is an atomic store of the bits, Get an atomic load, and Add, Sub, Inc, Dec, SetMax and
// SetMin load, compute and compare-and-swap, retrying on conflict, exactly like the library's
// own operations, which may run on the same word at the same time.
//
// The unsafe.Pointer to the word and its lifetime follow the same argument as for [Counter]: the
// word is C memory that the Go collector never moves, it is reached through the pointer the
// library handed out, and Close only marks the gauge closed; the C handle is freed by a cleanup
// once the Gauge is unreachable, so a goroutine still in a method (which keeps g alive with
// runtime.KeepAlive until its last access) never touches freed memory.
type Gauge struct {
	cell unsafe.Pointer // the value's bits, in C memory; nil once closed (accessed atomically)
	h    handle
}

// NewGauge returns a gauge holding initial.
func NewGauge(initial float64) (*Gauge, error) {
	var p *C.ap_gauge
	var msg *C.char
	if err := check("NewGauge", C.apgo_gauge_new(C.double(initial), &p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapGauge(p), nil
}

// wrapGauge returns a Gauge that owns p (a handle from ap_gauge_new or a registry) and writes
// its cell directly.
func wrapGauge(p *C.ap_gauge) *Gauge {
	cells := gaugeCells(p)
	if cells.kind != cellGaugeBits || cells.count != 1 || !cells.valid() {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_gauge_free(p)
		panic("atomicperf: ap_gauge_cells returned an unusable description")
	}
	g := &Gauge{cell: unsafe.Add(cells.base, cells.offset)}
	g.h.initPinned(unsafe.Pointer(p), freeGauge)
	g.h.cleanup = runtime.AddCleanup(g, freeGauge, unsafe.Pointer(p))
	return g
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

// gaugeCells asks the library where the word of p is (the zero cellsDesc on failure).
func gaugeCells(p *C.ap_gauge) cellsDesc {
	var out C.ap_cells
	return goCells(C.ap_gauge_cells(p, &out), &out)
}

// describeCells returns the library's description of g's word, for tests. It stays valid while
// g is reachable.
func (g *Gauge) describeCells() cellsDesc {
	d := gaugeCells((*C.ap_gauge)(g.h.load()))
	runtime.KeepAlive(g)
	return d
}

// bits returns the address of the gauge's word, or nil once closed. The caller must keep g
// alive (runtime.KeepAlive(g)) until its last use of the address.
func (g *Gauge) bits() *uint64 {
	return (*uint64)(atomic.LoadPointer(&g.cell))
}

// Set replaces the value. It does nothing after Close.
func (g *Gauge) Set(v float64) {
	if p := g.bits(); p != nil {
		atomic.StoreUint64(p, math.Float64bits(v))
	}
	runtime.KeepAlive(g)
}

// Get returns the current value, or 0 after Close.
func (g *Gauge) Get() float64 {
	var v float64
	if p := g.bits(); p != nil {
		v = math.Float64frombits(atomic.LoadUint64(p))
	}
	runtime.KeepAlive(g)
	return v
}

// Add adds d, which may be negative. It does nothing after Close.
func (g *Gauge) Add(d float64) {
	if p := g.bits(); p != nil {
		for {
			old := atomic.LoadUint64(p)
			if atomic.CompareAndSwapUint64(p, old, math.Float64bits(math.Float64frombits(old)+d)) {
				break
			}
		}
	}
	runtime.KeepAlive(g)
}

// Sub subtracts d. It does nothing after Close.
func (g *Gauge) Sub(d float64) {
	g.Add(-d)
}

// Inc adds 1. It does nothing after Close.
func (g *Gauge) Inc() {
	g.Add(1)
}

// Dec subtracts 1. It does nothing after Close.
func (g *Gauge) Dec() {
	g.Add(-1)
}

// SetMax raises the value to v if v is greater: a high-water mark. A NaN v is ignored, and a NaN
// value is replaced by v (like the library, which follows Rust's f64::max). It does nothing
// after Close.
func (g *Gauge) SetMax(v float64) {
	g.update(v, maxIgnoringNaN)
}

// SetMin lowers the value to v if v is smaller: a low-water mark. A NaN v is ignored, and a NaN
// value is replaced by v. It does nothing after Close.
func (g *Gauge) SetMin(v float64) {
	g.update(v, minIgnoringNaN)
}

// update replaces the value cur with pick(cur, v) by compare-and-swap, writing only when the
// bits change: a high-water mark is mostly checked, and a failed check then costs a load, where
// a write would take the cache line from every other core.
func (g *Gauge) update(v float64, pick func(cur, v float64) float64) {
	if p := g.bits(); p != nil {
		old := atomic.LoadUint64(p)
		for {
			next := math.Float64bits(pick(math.Float64frombits(old), v))
			if next == old || atomic.CompareAndSwapUint64(p, old, next) {
				break
			}
			old = atomic.LoadUint64(p)
		}
	}
	runtime.KeepAlive(g)
}

// maxIgnoringNaN is Rust's f64::max: the greater value, ignoring a NaN operand. math.Max would
// propagate the NaN instead.
func maxIgnoringNaN(cur, v float64) float64 {
	if v != v || v <= cur {
		return cur
	}
	return v // v > cur, or cur is NaN
}

// minIgnoringNaN is Rust's f64::min: the smaller value, ignoring a NaN operand.
func minIgnoringNaN(cur, v float64) float64 {
	if v != v || v >= cur {
		return cur
	}
	return v
}

// Close stops the gauge: it is idempotent and safe to call concurrently with other methods;
// afterwards writes do nothing and Get returns 0. Like Counter.Close it does not free the C
// memory, which another goroutine may be about to write; that happens when the Gauge becomes
// unreachable. Close always returns nil.
func (g *Gauge) Close() error {
	if g.h.registry {
		return nil // owned by a Registry (see Registry)
	}
	atomic.StorePointer(&g.cell, nil)
	g.h.close()
	return nil
}

// getCgo, setCgo, addCgo, setMaxCgo and setMinCgo are the cgo calls this type made before the
// direct path, kept for the benchmarks that compare the two and for the tests that check the
// direct path against the library.
func (g *Gauge) getCgo() float64 {
	var v C.double
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_get(p, &v)
		g.h.release()
	}
	return float64(v)
}

func (g *Gauge) setCgo(v float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_set(p, C.double(v))
		g.h.release()
	}
}

func (g *Gauge) addCgo(d float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_add(p, C.double(d))
		g.h.release()
	}
}

func (g *Gauge) setMaxCgo(v float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_set_max(p, C.double(v))
		g.h.release()
	}
}

func (g *Gauge) setMinCgo(v float64) {
	if p := (*C.ap_gauge)(g.h.acquire()); p != nil {
		C.ap_gauge_set_min(p, C.double(v))
		g.h.release()
	}
}
